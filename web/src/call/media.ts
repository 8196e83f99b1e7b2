import type { CallType, Quality } from '../lib/types';

/** Capture and send settings per quality choice; the bitrate cap is what saves a weak link. */
export const QUALITY: Record<Quality, { width: number; height: number; frameRate: number; maxBitrate: number }> = {
  low: { width: 320, height: 180, frameRate: 15, maxBitrate: 150_000 },
  medium: { width: 640, height: 360, frameRate: 24, maxBitrate: 600_000 },
  high: { width: 1280, height: 720, frameRate: 30, maxBitrate: 1_800_000 },
};

const videoConstraints = (q: Quality): MediaTrackConstraints => {
  const p = QUALITY[q];
  return { width: { ideal: p.width }, height: { ideal: p.height }, frameRate: { ideal: p.frameRate } };
};

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${what} did not answer in time`)), ms);
    p.then(
      (v) => (clearTimeout(t), resolve(v)),
      (e: unknown) => (clearTimeout(t), reject(e)),
    );
  });
}

/** Human text for getUserMedia/getDisplayMedia failures. */
export function mediaErrorText(e: unknown, what: string): string {
  const name = (e as { name?: string }).name;
  if (name === 'NotAllowedError') return `Permission to use the ${what} was denied.`;
  if (name === 'NotFoundError') return `No ${what} was found.`;
  if (name === 'NotReadableError') return `The ${what} is in use by another app.`;
  return `Could not start the ${what}: ${(e as Error).message ?? name}`;
}

/** Microphone, plus the camera for a video call. A missing camera falls back to audio only. */
export async function getLocalMedia(callType: CallType, quality: Quality): Promise<MediaStream> {
  if (!navigator.mediaDevices?.getUserMedia) throw new Error('This browser cannot make calls (no media devices; use https or localhost).');
  const audio = { echoCancellation: true, noiseSuppression: true };
  if (callType === 'audio') return withTimeout(navigator.mediaDevices.getUserMedia({ audio }), 20_000, 'The microphone');
  try {
    return await withTimeout(navigator.mediaDevices.getUserMedia({ audio, video: videoConstraints(quality) }), 20_000, 'The camera');
  } catch (e) {
    if ((e as { name?: string }).name !== 'NotFoundError') throw e;
    return withTimeout(navigator.mediaDevices.getUserMedia({ audio }), 20_000, 'The microphone');
  }
}

/** The screen picker can wait forever (and hangs in headless runs without a fake UI). */
export async function getScreen(quality: Quality): Promise<MediaStream> {
  if (!navigator.mediaDevices?.getDisplayMedia) throw new Error('Screen sharing is not supported in this browser.');
  const p = QUALITY[quality];
  return withTimeout(
    navigator.mediaDevices.getDisplayMedia({ video: { frameRate: { ideal: p.frameRate } }, audio: false }),
    30_000,
    'Screen sharing',
  );
}

export async function applyQuality(track: MediaStreamTrack | undefined, senders: RTCRtpSender[], q: Quality) {
  const p = QUALITY[q];
  if (track && track.readyState === 'live') await track.applyConstraints(videoConstraints(q)).catch(() => {});
  for (const sender of senders) {
    const params = sender.getParameters();
    if (!params.encodings?.length) continue; // not negotiated yet; applied again on the next change
    for (const enc of params.encodings) enc.maxBitrate = p.maxBitrate;
    await sender.setParameters(params).catch(() => {});
  }
}

/** A shared screen keeps its resolution (text must stay readable); quality trades frames and bits. */
export const SCREEN_QUALITY: Record<Quality, { frameRate: number; maxBitrate: number }> = {
  low: { frameRate: 5, maxBitrate: 300_000 },
  medium: { frameRate: 15, maxBitrate: 1_000_000 },
  high: { frameRate: 30, maxBitrate: 2_500_000 },
};

export async function applyScreenQuality(track: MediaStreamTrack | undefined, senders: RTCRtpSender[], q: Quality) {
  const p = SCREEN_QUALITY[q];
  if (track && track.readyState === 'live') await track.applyConstraints({ frameRate: { ideal: p.frameRate } }).catch(() => {});
  for (const sender of senders) {
    const params = sender.getParameters();
    if (!params.encodings?.length) continue;
    for (const enc of params.encodings) enc.maxBitrate = p.maxBitrate;
    await sender.setParameters(params).catch(() => {});
  }
}

export const stopStream = (s: MediaStream | null | undefined) => s?.getTracks().forEach((t) => t.stop());
