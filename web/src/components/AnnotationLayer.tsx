import { useEffect, useRef, useState } from 'preact/hooks';
import { annotate } from '../app/screen';
import { hue } from '../lib/format';
import type { Annotation } from '../lib/types';

export type Tool = 'draw' | 'text' | 'pointer' | 'none';
interface Props {
  annotations: Annotation[];
  tool: Tool;
  myColor: string;
  names: Record<string, string>;
}

const POINTER_TTL = 4000;

/** A canvas over the shared screen. Points are fractions (0..1) of its box, so strokes land in
 *  the same place on every viewer's differently sized video. */
export function AnnotationLayer({ annotations, tool, myColor, names }: Props) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const stroke = useRef<[number, number][] | null>(null);
  const lastPointer = useRef(0);
  const [, tick] = useState(0);

  useEffect(() => {
    // Redraw now and then so pointers fade away.
    const t = setInterval(() => tick((n) => n + 1), 1000);
    return () => clearInterval(t);
  }, []);

  useEffect(() => {
    const c = canvas.current;
    const ctx = c?.getContext('2d');
    if (!c || !ctx) return;
    const { width, height } = c.getBoundingClientRect();
    c.width = Math.max(1, Math.round(width * devicePixelRatio));
    c.height = Math.max(1, Math.round(height * devicePixelRatio));
    ctx.scale(devicePixelRatio, devicePixelRatio);
    const draw = (points: [number, number][], color: string) => {
      ctx.strokeStyle = color;
      ctx.lineWidth = 3;
      ctx.lineCap = ctx.lineJoin = 'round';
      ctx.beginPath();
      points.forEach(([x, y], i) => (i ? ctx.lineTo(x * width, y * height) : ctx.moveTo(x * width, y * height)));
      ctx.stroke();
    };
    for (const a of annotations) {
      const color = a.data.color ?? `hsl(${hue(a.userId ?? '')} 80% 55%)`;
      if (a.type === 'draw' && a.data.points) draw(a.data.points, color);
      if (a.type === 'text' && a.data.text !== undefined) {
        ctx.font = '600 16px system-ui, sans-serif';
        ctx.fillStyle = color;
        ctx.fillText(a.data.text, (a.data.x ?? 0) * width, (a.data.y ?? 0) * height);
      }
      const age = Date.now() - new Date(a.createdAt ?? Date.now()).getTime();
      if (a.type === 'pointer' && age < POINTER_TTL) {
        const x = (a.data.x ?? 0) * width;
        const y = (a.data.y ?? 0) * height;
        ctx.fillStyle = color;
        ctx.beginPath();
        ctx.arc(x, y, 7, 0, Math.PI * 2);
        ctx.fill();
        ctx.font = '12px system-ui, sans-serif';
        ctx.fillText(names[a.userId ?? ''] ?? '', x + 10, y - 8);
      }
    }
    if (stroke.current) draw(stroke.current, myColor);
  });

  const at = (e: PointerEvent): [number, number] => {
    const r = (e.currentTarget as HTMLElement).getBoundingClientRect();
    const f = (v: number) => Math.round(Math.min(1, Math.max(0, v)) * 10_000) / 10_000;
    return [f((e.clientX - r.left) / r.width), f((e.clientY - r.top) / r.height)];
  };

  return (
    <canvas
      ref={canvas}
      class={`annotations tool-${tool}`}
      data-testid="annotation-layer"
      data-count={annotations.filter((a) => a.type !== 'pointer').length}
      onPointerDown={(e) => {
        if (tool === 'draw') {
          (e.currentTarget as HTMLElement).setPointerCapture(e.pointerId);
          stroke.current = [at(e)];
        } else if (tool === 'text') {
          const text = prompt('Text to place on the screen');
          const [x, y] = at(e);
          if (text?.trim()) void annotate('text', { x, y, text: text.trim().slice(0, 200), color: myColor });
        }
      }}
      onPointerMove={(e) => {
        if (stroke.current) {
          stroke.current.push(at(e));
          tick((n) => n + 1);
        } else if (tool === 'pointer' && Date.now() - lastPointer.current > 100) {
          lastPointer.current = Date.now(); // throttled: 10 pointer updates a second is plenty
          const [x, y] = at(e);
          void annotate('pointer', { x, y });
        }
      }}
      onPointerUp={() => {
        const points = stroke.current;
        stroke.current = null;
        if (points && points.length > 1) void annotate('draw', { points: points.slice(0, 1000), color: myColor });
      }}
    />
  );
}
