import { createStore } from '../lib/store';
import type { Annotation, CallType, IncomingCall, Quality } from '../lib/types';

export type CallPhase = 'idle' | 'starting' | 'ringing' | 'connecting' | 'active' | 'ended';

export interface RemotePeer {
  userId: string;
  username: string;
  stream: MediaStream | null;
  screen: MediaStream | null;
  /** Bumped when tracks change, so video elements re-bind. */
  version: number;
  connection: RTCPeerConnectionState | 'waiting';
  micOn: boolean;
  camOn: boolean;
}

export interface CallState {
  phase: CallPhase;
  callId: string | null;
  callType: CallType;
  chatId: string | null;
  conference: boolean;
  title: string;
  local: MediaStream | null;
  micOn: boolean;
  camOn: boolean;
  quality: Quality;
  peers: Record<string, RemotePeer>;
  /** Who shares a screen in this call (me included), and my own shared stream. */
  sharerId: string | null;
  localScreen: MediaStream | null;
  annotations: Annotation[];
  /** A viewer asked me (the sharer) for control: the consent dialog. */
  controlRequest: { fromUserId: string; username: string } | null;
  /** My granted control over the sharer's screen (pointer shown to them). */
  controlGranted: boolean;
  /** As the sharer: who has control of my screen now. */
  controllers: string[];
  /** The shared screen's quality (set by the sharer, announced to viewers). */
  screenQuality: Quality;
  endReason: string | null;
  error: string | null;
  startedAt: number | null;
}

export const idleCall = (): CallState => ({
  phase: 'idle', callId: null, callType: 'video', chatId: null, conference: false, title: '',
  local: null, micOn: true, camOn: true, quality: 'medium', peers: {}, sharerId: null,
  localScreen: null, annotations: [], controlRequest: null, controlGranted: false, controllers: [], screenQuality: 'medium',
  endReason: null, error: null, startedAt: null,
});

export const call = createStore<CallState>(idleCall());
/** Incoming calls not yet answered (a second one may ring during a call). */
export const incoming = createStore<IncomingCall | null>(null);

export const patchCall = (p: Partial<CallState> | ((s: CallState) => Partial<CallState>)) =>
  call.set((s) => ({ ...s, ...(typeof p === 'function' ? p(s) : p) }));

export const patchPeer = (userId: string, p: Partial<RemotePeer>) =>
  call.set((s) => {
    const peer = s.peers[userId];
    return peer ? { ...s, peers: { ...s.peers, [userId]: { ...peer, ...p, version: peer.version + 1 } } } : s;
  });
