// The events each voice engine reads, checked at the edge: every well-formed event of a type the engine acts on is
// read, one in a shape the engine could not act on is a bad event with a line saying what is wrong, and every other
// type is passed over unread.
import { describe, expect, it } from 'vitest';
import { readLiveEvent } from '../../src/voice/live-events.js';
import { readRealtimeEvent } from '../../src/voice/realtime-events.js';

const audio = Buffer.alloc(160, 0xff).toString('base64');
const read = (reader: (text: string) => unknown, event: unknown): unknown => reader(JSON.stringify(event));

describe('the OpenAI Realtime events the engine reads', () => {
  // As OpenAI (and the simulator) sends them, extra fields and all.
  const wellFormed = [
    { type: 'session.updated', event_id: 'event_1', session: { type: 'realtime', model: 'gpt-realtime' } },
    { type: 'input_audio_buffer.speech_started', event_id: 'event_2', audio_start_ms: 120, item_id: 'item_1' },
    { type: 'conversation.item.input_audio_transcription.completed', event_id: 'event_3', item_id: 'item_1', content_index: 0, transcript: 'Opening hours please', usage: { type: 'duration', seconds: 1 } },
    { type: 'conversation.item.input_audio_transcription.failed', event_id: 'event_4', item_id: 'item_1', content_index: 0, error: { type: 'transcription_error', code: 'audio_unintelligible', message: 'The audio could not be transcribed.', param: null } },
    { type: 'response.created', event_id: 'event_5', response: { id: 'resp_1', object: 'realtime.response', status: 'in_progress', status_details: null, metadata: { voicebridge_speech: 'speech-1' } } },
    { type: 'response.created', event_id: 'event_6', response: { id: 'resp_2', status: 'in_progress', metadata: null } },
    { type: 'response.output_audio.delta', event_id: 'event_7', response_id: 'resp_1', item_id: 'item_2', output_index: 0, content_index: 0, delta: audio },
    { type: 'response.done', event_id: 'event_8', response: { id: 'resp_1', status: 'completed', status_details: null, usage: { total_tokens: 10 } } },
    { type: 'response.done', event_id: 'event_9', response: { id: 'resp_2', status: 'failed', status_details: { type: 'failed', error: { type: 'server_error', message: 'Voice unavailable' } } } },
    { type: 'error', event_id: 'event_10', error: { type: 'invalid_request_error', code: null, message: 'Bad request', param: null, event_id: null } },
    { type: 'error', event_id: 'event_11', error: { type: 'invalid_request_error', code: 'response_cancel_not_active', message: 'No active response', event_id: 'cancel_1' } },
  ];

  it.each(wellFormed.map((event) => [event.type, event] as const))('reads a well-formed %s', (_type, event) => {
    expect(read(readRealtimeEvent, event)).toEqual({ event: expect.objectContaining({ type: event.type }) });
  });

  it('keeps only the fields the engine reads', () => {
    expect(read(readRealtimeEvent, wellFormed[6])).toEqual({ event: { type: 'response.output_audio.delta', response_id: 'resp_1', delta: audio } });
    expect(read(readRealtimeEvent, wellFormed[2])).toEqual({ event: { type: 'conversation.item.input_audio_transcription.completed', item_id: 'item_1', transcript: 'Opening hours please' } });
  });

  it.each([
    [{ type: 'conversation.item.input_audio_transcription.completed', item_id: 'item_1' }, 'sent an event the bridge could not read (conversation.item.input_audio_transcription.completed, transcript: Invalid input: expected string, received undefined); ignored'],
    [{ type: 'conversation.item.input_audio_transcription.failed', error: 'unintelligible' }, 'sent an event the bridge could not read (conversation.item.input_audio_transcription.failed, error: Invalid input: expected object, received string); ignored'],
    [{ type: 'response.created' }, 'sent an event the bridge could not read (response.created, response: Invalid input: expected object, received undefined); ignored'],
    [{ type: 'response.created', response: { id: 'resp_1', metadata: { voicebridge_speech: 7 } } }, 'sent an event the bridge could not read (response.created, response.metadata.voicebridge_speech: Invalid input: expected string, received number); ignored'],
    [{ type: 'response.done', response: { id: 42 } }, 'sent an event the bridge could not read (response.done, response.id: Invalid input: expected string, received number); ignored'],
    [{ type: 'error', error: { code: 'oops' } }, 'sent an event the bridge could not read (error, error.message: Invalid input: expected string, received undefined); ignored'],
    [{ type: 'response.output_audio.delta', delta: audio }, 'sent audio that names no response; dropped'],
    [{ type: 'response.output_audio.delta', response_id: 'resp_1', delta: 12 }, 'sent audio that is not valid base64; dropped'],
  ])('takes a malformed event for a bad event: %j', (event, line) => {
    expect(read(readRealtimeEvent, event)).toEqual({ unreadable: line });
  });

  it('passes over the events it does not read, whatever their shape, and says what is not an event at all', () => {
    for (const type of ['response.output_audio_transcript.done', 'conversation.item.added', 'session.created', '__proto__', 'constructor', 'toString']) {
      expect(read(readRealtimeEvent, { type, delta: 12 })).toBeUndefined();
    }
    expect(read(readRealtimeEvent, { event: 'no type' })).toBeUndefined();
    expect(read(readRealtimeEvent, [1, 2])).toBeUndefined();
    expect(readRealtimeEvent('{"type":')).toEqual({ unreadable: 'sent a message that is not JSON; ignored' });
    expect(readRealtimeEvent('"session.updated"')).toEqual({ unreadable: 'sent a message that is not an event object; ignored' });
    expect(readRealtimeEvent('null')).toEqual({ unreadable: 'sent a message that is not an event object; ignored' });
  });
});

describe('the GPT-Live events the engine reads', () => {
  const wellFormed = [
    { type: 'session.started', event_id: 'event_1', client_event_id: 'start_session', session: { id: 'sess_1', model: 'gpt-live-1' } },
    { type: 'session.output_audio.delta', event_id: 'event_2', delta: audio, start_ms: 0, end_ms: 20 },
    { type: 'session.input_transcript.delta', event_id: 'event_3', delta: 'Opening ', start_ms: 120, end_ms: 480 },
    { type: 'session.input_transcript.delta', event_id: 'event_4', delta: 'hours' },
    { type: 'session.delegation.created', event_id: 'event_5', delegation: { id: 'dlg_1', target: 'client', type: 'delegation' }, offset_ms: 900 },
    { type: 'session.delegation.created', event_id: 'event_6', delegation: { id: 'dlg_2', target: 'responses' } },
    { type: 'session.closed', event_id: 'event_7', reason: 'expired', session: {}, usage: { seconds: 60 } },
    { type: 'error', event_id: 'event_8', client_event_id: 'speak_speech-1_0', error: { type: 'invalid_request_error', code: 'invalid_value', message: 'Refused.', client_event_id: 'speak_speech-1_0' } },
    { type: 'error', event_id: 'event_9' },
  ];

  it.each(wellFormed.map((event) => [event.type, event] as const))('reads a well-formed %s', (_type, event) => {
    expect(read(readLiveEvent, event)).toEqual({ event: expect.objectContaining({ type: event.type }) });
  });

  it.each([
    [{ type: 'session.output_audio.delta' }, 'sent audio that is not valid base64; dropped'],
    [{ type: 'session.input_transcript.delta', delta: 'hi', start_ms: 'soon' }, 'sent an event the bridge could not read (session.input_transcript.delta, start_ms: Invalid input: expected number, received string); ignored'],
    [{ type: 'session.delegation.created', delegation: { target: 'client' } }, 'sent an event the bridge could not read (session.delegation.created, delegation.id: Invalid input: expected string, received undefined); ignored'],
    [{ type: 'session.closed', reason: 3 }, 'sent an event the bridge could not read (session.closed, reason: Invalid input: expected string, received number); ignored'],
    [{ type: 'error', error: { code: 'x' } }, 'sent an event the bridge could not read (error, error.message: Invalid input: expected string, received undefined); ignored'],
  ])('takes a malformed event for a bad event: %j', (event, line) => {
    expect(read(readLiveEvent, event)).toEqual({ unreadable: line });
  });

  it('passes over the events it does not read', () => {
    for (const type of ['session.output_transcript.delta', 'session.instructions.appended', 'hasOwnProperty']) expect(read(readLiveEvent, { type })).toBeUndefined();
  });
});
