import { describe, expect, it } from 'vitest';
import { allowed, isLive, QUEUED, type StateName, transition, type UploadEvent, type UploadState } from '../../../src/upload/states.ts';
import type { UploadResult } from '../../../src/upload/uploader.ts';

const progress = { done: 5, total: 10, speed: 1, eta: 5 };
const result: UploadResult = { id: 'i', secret: 's', linkPath: '/d/i#s', expiresAt: null, ownerToken: 't', messageId: 'm' };
const one: Record<StateName, UploadState> = {
  queued: QUEUED,
  preparing: { state: 'preparing' },
  uploading: { state: 'uploading', progress },
  paused: { state: 'paused', progress },
  completing: { state: 'completing' },
  done: { state: 'done', result },
  failed: { state: 'failed', message: 'm', progress },
  cancelled: { state: 'cancelled' },
};
const events: Record<UploadEvent['type'], UploadEvent> = {
  start: { type: 'start' },
  prepared: { type: 'prepared', progress },
  progress: { type: 'progress', progress },
  pause: { type: 'pause' },
  resume: { type: 'resume' },
  completing: { type: 'completing' },
  done: { type: 'done', result },
  fail: { type: 'fail', message: 'boom' },
  retry: { type: 'retry' },
  cancel: { type: 'cancel' },
};

/** Every (state, event) pair that changes the state, and into what; all others leave it as it is. */
const MOVES: Record<string, StateName> = {
  'queued start': 'preparing',
  'queued pause': 'paused',
  'queued fail': 'failed',
  'queued cancel': 'cancelled',
  'preparing prepared': 'uploading',
  'preparing fail': 'failed',
  'preparing cancel': 'cancelled',
  'uploading progress': 'uploading',
  'uploading pause': 'paused',
  'uploading completing': 'completing',
  'uploading fail': 'failed',
  'uploading cancel': 'cancelled',
  'paused resume': 'queued',
  'paused fail': 'failed',
  'paused cancel': 'cancelled',
  'completing done': 'done',
  'completing fail': 'failed',
  'failed retry': 'queued',
  'failed cancel': 'cancelled',
};

describe('upload state machine', () => {
  for (const [stateName, state] of Object.entries(one)) {
    for (const [eventName, event] of Object.entries(events)) {
      const to = MOVES[`${stateName} ${eventName}`];
      it(`${stateName} + ${eventName} → ${to ?? 'unchanged'}`, () => {
        const next = transition(state, event);
        if (to) expect(next.state).toBe(to);
        else expect(next).toBe(state);
      });
    }
  }

  it('keeps progress through pause, resume, failure and retry, so a bar never jumps back to zero', () => {
    let s = transition(one.uploading, events.pause);
    expect(s).toEqual({ state: 'paused', progress });
    s = transition(s, events.resume);
    expect(s).toEqual({ state: 'queued', progress });
    s = transition(transition(transition(s, events.start), events.prepared), events.fail);
    expect(s).toEqual({ state: 'failed', message: 'boom', progress });
    expect(transition(s, events.retry)).toEqual({ state: 'queued', progress });
  });

  it('offers exactly the controls whose events apply', () => {
    expect(allowed(one.uploading)).toEqual({ pause: true, resume: false, cancel: true, retry: false });
    expect(allowed(one.paused)).toEqual({ pause: false, resume: true, cancel: true, retry: false });
    expect(allowed(one.failed)).toEqual({ pause: false, resume: false, cancel: true, retry: true });
    expect(allowed(one.completing)).toEqual({ pause: false, resume: false, cancel: false, retry: false });
    expect(allowed(one.done)).toEqual({ pause: false, resume: false, cancel: false, retry: false });
  });

  it('names live states', () => {
    const live = Object.values(one)
      .filter(isLive)
      .map((s) => s.state);
    expect(live).toEqual(['queued', 'preparing', 'uploading', 'paused', 'completing']);
  });
});
