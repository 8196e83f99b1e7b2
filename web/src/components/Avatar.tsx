import { hue, initials } from '../lib/format';

interface Props {
  name: string;
  online?: boolean;
  size?: number;
  group?: boolean;
}

export function Avatar({ name, online, size = 44, group }: Props) {
  return (
    <span class="avatar" style={{ width: `${size}px`, height: `${size}px`, background: `hsl(${hue(name)} 55% 52%)`, fontSize: `${Math.round(size * 0.38)}px` }}>
      {group ? '#' : initials(name)}
      {online !== undefined && (
        <span class={`presence ${online ? 'on' : 'off'}`} data-testid="presence-dot" data-online={online ? 'true' : 'false'} />
      )}
    </span>
  );
}
