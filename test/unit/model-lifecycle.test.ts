import { describe, expect, it } from 'vitest';
import {
  describeModelLifecycle,
  lifecycleSeverity,
  modelLifecycle,
  modelLifecycleHeadline,
  readShutdownDate,
  type ListedModel,
} from '../../src/models/model-lifecycle.js';
import { replacementFor } from '../../src/models/model-replacements.js';
import { fixedClock } from '../../src/util/clock.js';

// Dates made up for these tests: the lifecycle must follow whatever the list says, never dates of its own.
const today = fixedClock('2031-05-10T12:00:00Z');
const models: ListedModel[] = [
  { id: 'gpt-realtime', shutdown_date: '2031-06-01' },
  { id: 'gpt-4o', shutdown_date: '2031-05-01' },
  { id: 'gpt-5', shutdown_date: '2032-01-01' },
  { id: 'gpt-6-luna', shutdown_date: null },
  { id: 'odd-model', shutdown_date: 'someday' },
  { id: 'ends-tomorrow', shutdown_date: '2031-05-11' },
  { id: 'ends-today', shutdown_date: '2031-05-10' },
];

describe('a model lifecycle', () => {
  it('calls a model with no shutdown date current, with nothing to switch to', () => {
    const lifecycle = modelLifecycle('gpt-6-luna', models, today, { role: 'agent' });
    expect(lifecycle).toEqual({ model: 'gpt-6-luna', state: 'current' });
    expect(lifecycleSeverity(lifecycle)).toBe('ok');
    expect(describeModelLifecycle(lifecycle)).toBe('gpt-6-luna is available (no shutdown announced)');
  });

  it('calls a model retiring within 90 days retiring, with the date, the days left and its successor', () => {
    const lifecycle = modelLifecycle('gpt-realtime', models, today, { role: 'realtime' });
    expect(lifecycle).toEqual({ model: 'gpt-realtime', state: 'retiring', shutdownDate: '2031-06-01', daysLeft: 22, replacement: 'gpt-realtime-2.1' });
    expect(lifecycleSeverity(lifecycle)).toBe('warn');
    expect(describeModelLifecycle(lifecycle)).toBe('gpt-realtime shuts down on 2031-06-01 (22 days left); switch to gpt-realtime-2.1');
  });

  it('calls a model whose date has passed retired', () => {
    const lifecycle = modelLifecycle('gpt-4o', models, today, { role: 'agent' });
    expect(lifecycle.state).toBe('retired');
    expect(lifecycleSeverity(lifecycle)).toBe('fail');
    expect(describeModelLifecycle(lifecycle)).toBe('gpt-4o was shut down on 2031-05-01: calls with it fail; switch to gpt-6-luna');
  });

  it('keeps a model whose date is more than 90 days away current, and still says when and what follows', () => {
    const lifecycle = modelLifecycle('gpt-5', models, today, { role: 'agent' });
    expect(lifecycle.state).toBe('current');
    expect(lifecycle.daysLeft).toBe(236);
    expect(describeModelLifecycle(lifecycle)).toBe('gpt-5 is available (shuts down on 2032-01-01); its successor is gpt-6-luna');
  });

  it('counts the last day as one day left and the shutdown day itself as retired', () => {
    expect(modelLifecycle('ends-tomorrow', models, today)).toMatchObject({ state: 'retiring', daysLeft: 1 });
    expect(modelLifecycleHeadline(modelLifecycle('ends-tomorrow', models, today))).toBe('ends-tomorrow shuts down on 2031-05-11 (1 day left)');
    expect(modelLifecycle('ends-today', models, today).state).toBe('retired');
  });

  it('calls a known retiring model the list no longer carries retired, and an unknown one unlisted', () => {
    const gone = modelLifecycle('gpt-4-turbo', models, today, { role: 'agent' });
    expect(gone).toEqual({ model: 'gpt-4-turbo', state: 'retired', replacement: 'gpt-6-luna' });
    expect(describeModelLifecycle(gone)).toBe('gpt-4-turbo has been shut down (OpenAI no longer lists it): calls with it fail; switch to gpt-6-luna');
    const unknown = modelLifecycle('gpt-realtime-9', models, today, { role: 'realtime' });
    expect(unknown).toEqual({ model: 'gpt-realtime-9', state: 'unlisted', replacement: 'gpt-realtime-2.1' });
    expect(lifecycleSeverity(unknown)).toBe('fail');
  });

  it('ignores a shutdown date it cannot read rather than inventing one', () => {
    expect(modelLifecycle('odd-model', models, today)).toEqual({ model: 'odd-model', state: 'current' });
  });

  it("offers the role's default when the table's successor is of the wrong kind", () => {
    const listed: ListedModel[] = [{ id: 'gpt-4o', shutdown_date: '2031-06-01' }];
    expect(modelLifecycle('gpt-4o', listed, today, { role: 'agent' }).replacement).toBe('gpt-6-luna');
    expect(modelLifecycle('gpt-4o', listed, today, { role: 'realtime' }).replacement).toBe('gpt-realtime-2.1');
    expect(modelLifecycle('gpt-4o', listed, today).replacement).toBe('gpt-6-luna');
  });
});

describe('model successors', () => {
  it('cover every retiring family, snapshots included', () => {
    expect(replacementFor('gpt-realtime-mini-2025-10-06')).toBe('gpt-realtime-2.1-mini');
    expect(replacementFor('gpt-4o-realtime-preview-2024-12-17')).toBe('gpt-realtime-2.1');
    expect(replacementFor('gpt-4o-2024-08-06')).toBe('gpt-6-luna');
    expect(replacementFor('gpt-4.1-nano')).toBe('gpt-6-luna');
    expect(replacementFor('gpt-5-nano')).toBe('gpt-6-luna');
    expect(replacementFor('gpt-4o-mini-transcribe')).toBe('gpt-transcribe');
    expect(replacementFor('whisper-1')).toBe('gpt-transcribe');
    expect(replacementFor('gpt-4-turbo-2024-04-09')).toBe('gpt-6-luna');
    expect(replacementFor('gpt-3.5-turbo-0125')).toBe('gpt-6-luna');
  });

  it('leave current models alone', () => {
    for (const model of ['gpt-realtime-2.1', 'gpt-realtime-2.1-mini', 'gpt-transcribe', 'gpt-6-luna', 'gpt-6.1-sol', 'gpt-live-1']) {
      expect(replacementFor(model)).toBeUndefined();
    }
  });
});

describe('a shutdown date as the API sends it', () => {
  it('keeps YYYY-MM-DD, and null or an empty value as none announced', () => {
    expect(readShutdownDate('2031-06-01')).toBe('2031-06-01');
    expect(readShutdownDate(null)).toBeNull();
    expect(readShutdownDate(undefined)).toBeNull();
    expect(readShutdownDate('')).toBeNull();
  });

  it('reads a date with a time of day, or a Unix timestamp in seconds, as its day', () => {
    expect(readShutdownDate('2031-06-01T00:00:00Z')).toBe('2031-06-01');
    expect(readShutdownDate('2031-06-01 00:00:00')).toBe('2031-06-01');
    expect(readShutdownDate(Date.UTC(2031, 5, 1, 9) / 1000)).toBe('2031-06-01');
  });

  it('keeps what it cannot read as it came, for the lifecycle to pass over', () => {
    expect(readShutdownDate('someday')).toBe('someday');
    expect(modelLifecycle('odd-model', [{ id: 'odd-model', shutdown_date: readShutdownDate('someday') }], today)).toEqual({ model: 'odd-model', state: 'current' });
  });
});
