import { requireInCall, type CallDoc } from '../calls/call-state.js';
import type { MediaState } from '../calls/calls.schema.js';
import type { CallService } from '../calls/calls.service.js';
import { liveParticipants } from '../calls/calls.mappers.js';

/**
 * Per-participant media state, kept in the shared call document so that whoever joins later
 * (or rejoins) learns each participant's camera, microphone and quality from its ack.
 * Only the device that takes part in the call may change its own state.
 */
export class VideoService {
  constructor(private readonly calls: CallService) {}

  async update(userId: string, socketId: string, callId: string, change: (media: MediaState) => void): Promise<{ doc: CallDoc; media: MediaState }> {
    const { doc, result } = await this.calls.store.mutate(callId, (d) => {
      const { me } = requireInCall(d, userId, socketId);
      change(me.media);
      return { changed: true, result: me.media };
    });
    return { doc, media: result };
  }

  /** Everyone in the call with their media state (conference:video:join ack). */
  participants(doc: CallDoc) {
    return liveParticipants(doc);
  }
}
