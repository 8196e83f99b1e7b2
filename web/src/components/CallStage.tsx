import { useState } from 'preact/hooks';
import type { CallState, RemotePeer } from '../app/call-state';
import { releaseControl, requestControl, revokeControl, setScreenQuality } from '../app/screen';
import type { Quality } from '../lib/types';
import { hue } from '../lib/format';
import { AnnotationLayer, type Tool } from './AnnotationLayer';
import { Avatar } from './Avatar';
import { Icon } from './Icon';
import { Video } from './Video';
import { annotate } from '../app/screen';

const CONN_TEXT: Partial<Record<RemotePeer['connection'], string>> = {
  waiting: 'Connecting…', new: 'Connecting…', connecting: 'Connecting…', disconnected: 'Reconnecting…', failed: 'Connection failed',
};

function Tile({ peer, audioOnly }: { peer: RemotePeer; audioOnly: boolean }) {
  const showVideo = !audioOnly && peer.camOn && !!peer.stream?.getVideoTracks().length;
  const status = CONN_TEXT[peer.connection];
  return (
    <div class="tile" data-testid="remote-tile" data-user-id={peer.userId} data-connection={peer.connection}>
      {/* Audio plays through this element even when the picture is hidden. */}
      <Video stream={peer.stream} version={peer.version} testId="remote-video" class={showVideo ? '' : 'hidden-video'} />
      {!showVideo && <Avatar name={peer.username} size={72} />}
      <span class="tile-name">
        {peer.username} {!peer.micOn && <span title="Muted" data-testid="peer-muted"><Icon name="micOff" size={14} /></span>}
      </span>
      {status && <span class="tile-status">{status}</span>}
    </div>
  );
}

interface Props {
  s: CallState;
  myId: string;
}

export function CallStage({ s, myId }: Props) {
  const [tool, setTool] = useState<Tool>('draw');
  const peers = Object.values(s.peers);
  const audioOnly = s.callType === 'audio';
  const sharing = s.sharerId;
  const shareStream = sharing === myId ? s.localScreen : sharing ? (s.peers[sharing]?.screen ?? null) : null;
  const names = Object.fromEntries(peers.map((p) => [p.userId, p.username]));
  const myColor = `hsl(${hue(myId)} 80% 55%)`;
  const activeTool = s.controlGranted && tool === 'none' ? 'pointer' : tool;

  return (
    <div class={`stage ${sharing ? 'with-screen' : ''} n${Math.min(peers.length, 4)}`}>
      {sharing && (
        <div class="screen-area">
          <div class="screen-box">
            <Video stream={shareStream} muted testId="screen-video" version={shareStream ? 1 : 0} class="screen-video" />
            <AnnotationLayer annotations={s.annotations} tool={activeTool} myColor={myColor} names={names} />
          </div>
          <div class="annot-toolbar" data-testid="annotation-toolbar">
            <span class="muted small">{sharing === myId ? 'You are sharing your screen' : `${names[sharing] ?? 'Someone'} is sharing`}</span>
            {(['draw', 'text', 'pointer', 'none'] as const).map((t) => (
              <button key={t} class={`chip-btn ${activeTool === t ? 'active' : ''}`} onClick={() => setTool(t)} data-testid={`tool-${t}`}>
                {{ draw: 'Draw', text: 'Text', pointer: 'Point', none: 'View only' }[t]}
              </button>
            ))}
            {sharing === myId ? (
              <select
                class="chip-select"
                value={s.screenQuality}
                onChange={(e) => void setScreenQuality(e.currentTarget.value as Quality)}
                title="Quality of your shared screen"
                data-testid="screen-quality"
              >
                <option value="low">Low (5 fps)</option>
                <option value="medium">Medium (15 fps)</option>
                <option value="high">High (30 fps)</option>
              </select>
            ) : (
              <span class="chip-btn" data-testid="screen-quality-label" data-quality={s.screenQuality}>
                {{ low: 'Low', medium: 'Medium', high: 'High' }[s.screenQuality]} quality
              </span>
            )}
            <button class="chip-btn" onClick={() => void annotate('clear', {})} data-testid="annotation-clear">
              Clear
            </button>
            {sharing !== myId && !s.controlGranted && (
              <button class="chip-btn" onClick={() => void requestControl()} data-testid="request-control">
                Request control
              </button>
            )}
            {s.controlGranted && (
              <>
                <span class="chip granted" data-testid="control-granted">Control granted</span>
                <button class="chip-btn" onClick={() => void releaseControl()} data-testid="release-control">
                  Give back
                </button>
              </>
            )}
            {sharing === myId &&
              s.controllers.map((id) => (
                <button key={id} class="chip-btn danger" onClick={() => void revokeControl(id)} data-testid="revoke-control" data-user-id={id}>
                  Take control back from {names[id] ?? 'viewer'}
                </button>
              ))}
          </div>
        </div>
      )}
      <div class="tiles">
        {peers.map((p) => (
          <Tile key={p.userId} peer={p} audioOnly={audioOnly} />
        ))}
        {!peers.length && <div class="tile waiting">Waiting for others to join…</div>}
      </div>
      <div class="self-view">
        {s.local?.getVideoTracks().length && s.camOn ? <Video stream={s.local} muted mirror testId="local-video" /> : <Avatar name="You" size={48} />}
        <span class="tile-name">You {!s.micOn && <Icon name="micOff" size={14} />}</span>
      </div>
    </div>
  );
}
