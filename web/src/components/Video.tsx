import { useEffect, useRef } from 'preact/hooks';

interface Props {
  stream: MediaStream | null;
  muted?: boolean;
  mirror?: boolean;
  version?: number;
  testId?: string;
  class?: string;
}

/** A <video> bound to a MediaStream (srcObject cannot be set as an attribute). */
export function Video({ stream, muted, mirror, version, testId, class: cls }: Props) {
  const ref = useRef<HTMLVideoElement>(null);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    if (el.srcObject !== stream) el.srcObject = stream;
    if (stream) void el.play().catch(() => {}); // autoplay may wait for a user gesture
  }, [stream, version]);
  return <video ref={ref} class={`${cls ?? ''} ${mirror ? 'mirror' : ''}`} autoplay playsInline muted={muted} data-testid={testId} />;
}
