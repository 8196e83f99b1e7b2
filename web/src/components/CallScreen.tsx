import { useEffect, useState } from 'preact/hooks';
import { call, idleCall } from '../app/call-state';
import { hangUp, setQuality, toggleCam, toggleMic } from '../app/calls';
import { answerControl, startShare, stopShare } from '../app/screen';
import { me } from '../app/session';
import { duration } from '../lib/format';
import { useStore } from '../lib/store';
import type { Quality } from '../lib/types';
import { CallStage } from './CallStage';
import { Icon } from './Icon';

const PHASE_TEXT = { idle: '', starting: 'Starting camera and microphone…', ringing: 'Ringing…', connecting: 'Connecting…', active: '', ended: '' };

function Timer({ since }: { since: number }) {
  const [, tick] = useState(0);
  useEffect(() => {
    const t = setInterval(() => tick((n) => n + 1), 1000);
    return () => clearInterval(t);
  }, []);
  return <span data-testid="call-timer">{duration(Date.now() - since)}</span>;
}

export function CallScreen() {
  const s = useStore(call);
  const myId = me()?.id ?? '';
  if (s.phase === 'idle') return null;

  if (s.phase === 'ended') {
    return (
      <div class="call-screen ended" data-testid="call-ended">
        <h2>{s.title}</h2>
        <p class={s.error ? 'form-error' : 'muted'}>{s.error ?? s.endReason ?? 'Call ended'}</p>
        <button onClick={() => call.set({ ...idleCall(), quality: s.quality })}>Close</button>
      </div>
    );
  }

  const hasCam = !!s.local?.getVideoTracks().length;
  return (
    <div class="call-screen" data-testid="call-screen" data-phase={s.phase} data-call-id={s.callId ?? ''}>
      <header class="call-head">
        <strong>{s.title}</strong>
        <span class="muted" data-testid="call-status">
          {s.phase === 'active' && s.startedAt ? <Timer since={s.startedAt} /> : PHASE_TEXT[s.phase]}
        </span>
      </header>
      <CallStage s={s} myId={myId} />
      <footer class="call-controls">
        <button class={`round ${s.micOn ? '' : 'off'}`} onClick={toggleMic} aria-pressed={!s.micOn} title={s.micOn ? 'Mute' : 'Unmute'} data-testid="toggle-mic">
          <Icon name={s.micOn ? 'mic' : 'micOff'} />
        </button>
        {hasCam && (
          <button class={`round ${s.camOn ? '' : 'off'}`} onClick={toggleCam} aria-pressed={!s.camOn} title={s.camOn ? 'Camera off' : 'Camera on'} data-testid="toggle-cam">
            <Icon name={s.camOn ? 'video' : 'videoOff'} />
          </button>
        )}
        <button
          class={`round ${s.localScreen ? 'on' : ''}`}
          onClick={() => void (s.localScreen ? stopShare() : startShare())}
          disabled={!s.callId || (!!s.sharerId && s.sharerId !== myId)}
          title={s.localScreen ? 'Stop sharing' : 'Share screen'}
          data-testid="toggle-share"
        >
          <Icon name="screen" />
        </button>
        <select value={s.quality} onChange={(e) => void setQuality(e.currentTarget.value as Quality)} title="Video quality" data-testid="quality-select">
          <option value="low">Low</option>
          <option value="medium">Medium</option>
          <option value="high">High</option>
        </select>
        <button class="round danger" onClick={hangUp} title="Hang up" data-testid="hang-up">
          <Icon name="hangup" size={28} />
        </button>
      </footer>
      {s.controlRequest && (
        <div class="modal-backdrop">
          <div class="modal" role="alertdialog" data-testid="control-request">
            <h2>Remote control</h2>
            <p>
              <b>{s.controlRequest.username}</b> asks to control your shared screen. Their pointer will show on your screen.
            </p>
            <div class="modal-actions">
              <button onClick={() => void answerControl(false)} data-testid="control-deny">
                Deny
              </button>
              <button class="primary" onClick={() => void answerControl(true)} data-testid="control-allow">
                Allow
              </button>
            </div>
          </div>
        </div>
      )}
    </div>
  );
}
