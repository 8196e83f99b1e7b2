/** A soft two-tone ring made with WebAudio (no audio file to ship). Browsers may block sound
 *  until the user has interacted with the page; then the visual ringing state is all there is. */
let ctx: AudioContext | null = null;
let timer: ReturnType<typeof setInterval> | null = null;

function beep(freq: number, at: number) {
  if (!ctx) return;
  const osc = ctx.createOscillator();
  const gain = ctx.createGain();
  osc.frequency.value = freq;
  gain.gain.setValueAtTime(0.0001, at);
  gain.gain.exponentialRampToValueAtTime(0.15, at + 0.02);
  gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.35);
  osc.connect(gain).connect(ctx.destination);
  osc.start(at);
  osc.stop(at + 0.4);
}

export function startRing(kind: 'incoming' | 'outgoing') {
  stopRing();
  try {
    ctx = new AudioContext();
  } catch {
    return;
  }
  const play = () => {
    if (!ctx) return;
    const t = ctx.currentTime;
    if (kind === 'incoming') {
      beep(880, t);
      beep(660, t + 0.4);
    } else beep(440, t);
  };
  play();
  timer = setInterval(play, kind === 'incoming' ? 2000 : 3000);
}

export function stopRing() {
  if (timer) clearInterval(timer);
  timer = null;
  void ctx?.close().catch(() => {});
  ctx = null;
}
