/**
 * The baseline: a bare Socket.io relay with the project's wire shape and nothing else.
 * No auth, no storage, no validation beyond what is needed not to crash. It is the
 * transport's own limit on this machine, measured with the same generator as the server.
 *
 *   handshake  auth: {userId, chatIds: string[]}  → the socket joins `chat:{id}` for each
 *   message:send {chatId, content, clientMessageId} (+ack)
 *     → room `chat:{chatId}` except the sender gets message:receive {chatId, message}
 *     → ack {ok:true, message}
 *   GET /api/health → {"status":"ok"}
 *
 * Env: PORT (default 3100), HOST (default 127.0.0.1).
 */
import { createServer } from 'node:http';
import { Server, type Socket } from 'socket.io';

const port = Number(process.env.PORT ?? 3100);
const host = process.env.HOST ?? '127.0.0.1';

const http = createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/api/health') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"status":"ok"}');
    return;
  }
  res.writeHead(404, { 'content-type': 'application/json' });
  res.end('{"error":{"code":"NOT_FOUND","message":"Not found"}}');
});

// Same transport defaults the project uses: websocket + polling allowed, no per-message deflate.
const io = new Server(http, { serveClient: false, cors: { origin: false } });

let seq = 0;

io.on('connection', (socket: Socket) => {
  const auth = (socket.handshake.auth ?? {}) as { userId?: unknown; chatIds?: unknown };
  const userId = typeof auth.userId === 'string' ? auth.userId : socket.id;
  socket.data.userId = userId;
  if (Array.isArray(auth.chatIds)) {
    for (const id of auth.chatIds) if (typeof id === 'string') socket.join(`chat:${id}`);
  }

  socket.on('message:send', (payload: unknown, ack?: unknown) => {
    const reply = typeof ack === 'function' ? (ack as (r: unknown) => void) : undefined;
    const p = payload as { chatId?: unknown; content?: unknown; clientMessageId?: unknown } | null;
    if (!p || typeof p.chatId !== 'string' || typeof p.content !== 'string') {
      reply?.({ ok: false, error: { code: 'VALIDATION', message: 'chatId and content are required' } });
      return;
    }
    const message = {
      id: String(++seq),
      chatId: p.chatId,
      senderId: userId,
      type: 'text',
      content: p.content,
      clientMessageId: typeof p.clientMessageId === 'string' ? p.clientMessageId : null,
      createdAt: new Date().toISOString(),
    };
    socket.to(`chat:${p.chatId}`).emit('message:receive', { chatId: p.chatId, message });
    reply?.({ ok: true, message });
  });
});

http.listen(port, host, () => {
  process.stdout.write(`baseline relay listening on http://${host}:${port}\n`);
});

const stop = () => {
  io.close();
  http.close();
  setTimeout(() => process.exit(0), 500).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
