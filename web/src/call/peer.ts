import type { Signal } from '../lib/types';

export interface PeerEvents {
  /** A remote stream appeared, changed or (null) lost its last track; `kind` tells a shared
   *  screen from the camera. */
  onStream(stream: MediaStream | null, kind: 'main' | 'screen'): void;
  onState(state: RTCPeerConnectionState): void;
}

/** Extra fields riding along a description, so the peer can tell which stream is the screen. */
/** Signaling trace for troubleshooting: set localStorage.rtcDebug = '1' and reload. */
const trace = (...args: unknown[]) => {
  if (localStorage.getItem('rtcDebug') === '1') console.info('[rtc]', ...args);
};

/** `session` names the sending RTCPeerConnection: a new one (the peer reloaded the page) means
 *  ours to them is dead and must be replaced (src/app/calls.ts, deliverSignal). */
export type WireSignal = Signal & { screenStreamId?: string | null; session?: string };

/**
 * One RTCPeerConnection to one remote user, using the "perfect negotiation" pattern (W3C
 * WebRTC spec §10.7): either side may renegotiate at any time (tracks added, screen shared);
 * on an offer collision the polite side rolls back and the impolite side ignores the offer.
 */
export class PeerLink {
  readonly pc: RTCPeerConnection;
  private makingOffer = false;
  private ignoreOffer = false;
  private answerPending = false;
  private mainStreamId: string | null = null;
  private remoteScreenId: string | null = null;
  private screenSenders: RTCRtpSender[] = [];
  private screenStreamId: string | null = null;
  private readonly kinds = new Map<string, 'main' | 'screen'>();
  /** This connection's id, sent with every signal; and the remote one's, from the first it sent. */
  readonly session = crypto.randomUUID();
  remoteSession: string | null = null;

  constructor(
    readonly peerId: string,
    private readonly polite: boolean,
    iceServers: RTCIceServer[],
    private readonly rawSend: (signal: WireSignal) => void,
    private readonly events: PeerEvents,
  ) {
    this.pc = new RTCPeerConnection({ iceServers });
    this.pc.onnegotiationneeded = () => void this.offer();
    this.pc.onicecandidate = ({ candidate }) => {
      if (candidate) this.send({ candidate: candidate.toJSON() });
    };
    this.pc.oniceconnectionstatechange = () => {
      // A network change (Wi-Fi to mobile) breaks the path; an ICE restart finds a new one.
      if (this.pc.iceConnectionState === 'failed') this.pc.restartIce();
    };
    this.pc.onconnectionstatechange = () => this.events.onState(this.pc.connectionState);
    this.watchdog = setInterval(() => this.heal(), 8000);
    this.pc.ontrack = (ev) => {
      const stream = ev.streams[0] ?? new MediaStream([ev.track]);
      const kind = this.classify(stream.id);
      this.kinds.set(ev.track.id, kind);
      this.events.onStream(stream, kind);
      stream.onremovetrack = () => this.events.onStream(stream.getTracks().length ? stream : null, kind);
    };
  }

  private watchdog: ReturnType<typeof setInterval>;
  private heals = 0;

  /** A link that has not connected after a while (candidates lost in a rollback, a changed
   *  network) gets an ICE restart: fresh credentials, fresh candidates. Only the impolite side
   *  does it, so the two ends never restart into a collision; a few tries, then give up. */
  private heal() {
    const state = this.pc.connectionState;
    if (this.polite || state === 'connected' || state === 'closed' || this.heals >= 4) return;
    this.heals++;
    console.warn(`peer ${this.peerId}: still ${state}, restarting ICE (try ${this.heals})`);
    this.pc.restartIce();
  }

  /** The screen is the stream the peer named as such; failing that, any stream after the first. */
  private classify(streamId: string): 'main' | 'screen' {
    if (this.remoteScreenId) return streamId === this.remoteScreenId ? 'screen' : 'main';
    if (!this.mainStreamId) this.mainStreamId = streamId;
    return streamId === this.mainStreamId ? 'main' : 'screen';
  }

  addLocal(stream: MediaStream) {
    for (const track of stream.getTracks()) this.pc.addTrack(track, stream);
  }

  addScreen(stream: MediaStream) {
    this.removeScreen();
    this.screenStreamId = stream.id;
    this.screenSenders = stream.getTracks().map((t) => this.pc.addTrack(t, stream));
  }

  removeScreen() {
    for (const s of this.screenSenders) if (this.pc.signalingState !== 'closed') this.pc.removeTrack(s);
    this.screenSenders = [];
    this.screenStreamId = null;
  }

  screenVideoSenders(): RTCRtpSender[] {
    return this.screenSenders.filter((s) => s.track?.kind === 'video');
  }

  videoSenders(): RTCRtpSender[] {
    return this.pc.getSenders().filter((s) => s.track?.kind === 'video' && !this.screenSenders.includes(s));
  }

  private send(signal: WireSignal) {
    this.rawSend({ ...signal, session: this.session });
  }

  private async offer() {
    try {
      this.makingOffer = true;
      trace(this.peerId.slice(0, 6), 'negotiationneeded', this.pc.signalingState);
      await this.pc.setLocalDescription();
      // A colliding remote offer may have rolled ours back meanwhile (then handle() answers).
      if (this.pc.localDescription?.type === 'offer') this.send({ description: this.pc.localDescription.toJSON(), screenStreamId: this.screenStreamId });
    } catch (e) {
      console.warn('offer failed', e);
    } finally {
      this.makingOffer = false;
    }
  }

  async handle(signal: WireSignal) {
    const { description, candidate } = signal;
    if (signal.session) this.remoteSession ??= signal.session;
    trace(this.peerId.slice(0, 6), 'in', description?.type ?? 'candidate', this.pc.signalingState, { makingOffer: this.makingOffer });
    try {
      if (description) {
        if ('screenStreamId' in signal) this.remoteScreenId = signal.screenStreamId ?? null;
        // An offer is expected only when we are stable (or about to be, when our answer is in flight).
        const readyForOffer = !this.makingOffer && (this.pc.signalingState === 'stable' || this.answerPending);
        const collision = description.type === 'offer' && !readyForOffer;
        this.ignoreOffer = !this.polite && collision;
        if (this.ignoreOffer) return trace(this.peerId.slice(0, 6), 'ignored colliding offer');
        this.answerPending = description.type === 'answer';
        await this.pc.setRemoteDescription(description); // rolls back our offer if needed (polite)
        this.answerPending = false;
        if (description.type === 'offer') {
          await this.pc.setLocalDescription();
          if (this.pc.localDescription) this.send({ description: this.pc.localDescription.toJSON(), screenStreamId: this.screenStreamId });
        }
      } else if (candidate) {
        try {
          await this.pc.addIceCandidate(candidate);
        } catch (e) {
          if (!this.ignoreOffer) throw e; // candidates of an offer we ignored are expected to fail
        }
      }
    } catch (e) {
      console.warn('signal handling failed', e);
    }
  }

  /** Inbound counters by what they carry, for the call's debug panel and the browser tests. */
  async inboundStats() {
    const out = { video: { framesDecoded: 0, bytes: 0 }, audio: { packetsReceived: 0 }, screen: { framesDecoded: 0 } };
    for (const r of this.pc.getReceivers()) {
      const kind = this.kinds.get(r.track.id) ?? 'main';
      const stats = await r.getStats();
      stats.forEach((s: { type: string; kind?: string; framesDecoded?: number; packetsReceived?: number; bytesReceived?: number }) => {
        if (s.type !== 'inbound-rtp') return;
        if (s.kind === 'audio') out.audio.packetsReceived += s.packetsReceived ?? 0;
        else if (kind === 'screen') out.screen.framesDecoded += s.framesDecoded ?? 0;
        else {
          out.video.framesDecoded += s.framesDecoded ?? 0;
          out.video.bytes += s.bytesReceived ?? 0;
        }
      });
    }
    return out;
  }

  close() {
    clearInterval(this.watchdog);
    this.pc.onnegotiationneeded = null;
    this.pc.onicecandidate = null;
    this.pc.ontrack = null;
    this.pc.onconnectionstatechange = null;
    this.pc.close();
  }
}
