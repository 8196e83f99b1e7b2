import type { SocketManager } from './socket-manager.js';

/** The process-wide SocketManager of the seed's getSocketManager() (the last one initialized). */
let current: SocketManager | undefined;

export function setSocketManager(manager: SocketManager | undefined): void {
  current = manager;
}

export function getSocketManager(): SocketManager {
  if (!current) throw new Error('Socket.io is not initialized: call initializeSocketIO(app) first');
  return current;
}
