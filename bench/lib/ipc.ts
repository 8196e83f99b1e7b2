import type { HistData } from './hist.js';

/** What the runner tells a load-generator child. */
export type ParentMsg =
  | {
      cmd: 'connect';
      url: string;
      clients: ClientSpec[];
      /** connections opened at once by this child */
      concurrency: number;
      timeoutMs: number;
      /** local addresses to spread connections over (127.0.0.0/8), round robin; empty = default */
      localAddresses: string[];
    }
  | {
      cmd: 'run';
      tag: string;
      /** epoch ms at which sending starts (all children share it) */
      t0: number;
      warmupMs: number;
      durationMs: number;
      ratePerUser: number;
      contentBytes: number;
      ackTimeoutMs: number;
      /** after the last send: wait for outstanding acks, then this long for late deliveries */
      drainMs: number;
    }
  | { cmd: 'disconnect' }
  | { cmd: 'exit' };

export interface ClientSpec {
  /** global user index */
  uid: number;
  auth: Record<string, unknown>;
  /** the chat this user sends into (undefined: connect only, never send) */
  chatId?: string;
  /** members in that chat, sender included */
  groupSize?: number;
}

export type ChildMsg =
  | { ev: 'ready'; pid: number }
  | { ev: 'connected'; ok: number; failed: number; errors: Record<string, number>; ms: number }
  | { ev: 'result'; tag: string; stats: RunStats }
  | { ev: 'disconnected' }
  | { ev: 'log'; msg: string };

export interface RunStats {
  /** messages scheduled to be sent inside the measurement window */
  offered: number;
  /** of those, emitted (should equal offered unless the generator stopped early) */
  sent: number;
  ackOk: number;
  ackFailed: number;
  ackTimeout: number;
  failCodes: Record<string, number>;
  /** ackOk × (groupSize − 1), summed: what receivers should get for window messages */
  expectedDeliveries: number;
  /** message:receive of window messages (by send time) at sockets other than the sender's */
  deliveries: number;
  /** message:receive whose receive time falls inside the window (any send time): throughput */
  deliveriesInWindow: number;
  /** the sender's own socket got its message back */
  selfDeliveries: number;
  /** receives whose content was not ours / unparsable */
  foreign: number;
  disconnects: number;
  latency: HistData; // send → message:receive at another member
  ackLatency: HistData; // send → ack
  sendLag: HistData; // scheduled send time → actual emit (generator saturation)
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
  cpuUserMs: number;
  cpuSystemMs: number;
  windowMs: number;
}
