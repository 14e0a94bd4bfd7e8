// Chooses the voice engine for the configuration (VOICE_ENGINE: OpenAI Realtime or GPT-Live). The rest of the bridge
// only ever sees a VoiceEngineFactory.
import type { Config } from '../config/config.js';
import { cleanId } from '../knowledge/openai-ids.js';
import { LiveVoiceEngine } from './live-voice-engine.js';
import { RealtimeVoiceEngine } from './realtime-voice-engine.js';
import type { CallLogger } from '../log/call-log.js';
import type { VoiceEngine, VoiceEngineFactory } from './voice-engine.js';

export function voiceEngineFactoryFor(config: Config): VoiceEngineFactory {
  const apiKey = cleanId(config.openai.apiKey ?? '');
  if (config.openai.voiceEngine === 'live') {
    return ({ log }) => new LiveVoiceEngine({ apiKey, baseURL: config.openai.baseURL, voice: config.openai.voice, log });
  }
  return ({ log }) =>
    new RealtimeVoiceEngine({
      apiKey,
      baseURL: config.openai.baseURL,
      model: config.openai.realtimeModel,
      transcribeModel: config.openai.transcribeModel,
      voice: config.openai.voice,
      log,
    });
}

/**
 * SIP mode: attaches the configured engine to a call OpenAI answered and the bridge accepted, over its sideband
 * (Realtime `?call_id=`, GPT-Live `/live/sessions/{id}/attach`).
 */
export function sidebandFactoryFor(config: Config): (callId: string, log: CallLogger) => VoiceEngine {
  const apiKey = cleanId(config.openai.apiKey ?? '');
  const project = config.sip.projectId?.trim();
  if (config.openai.voiceEngine === 'live') {
    return (sessionId, log) => new LiveVoiceEngine({ apiKey, baseURL: config.openai.baseURL, voice: config.openai.voice, log, sideband: { sessionId, project } });
  }
  return (callId, log) =>
    new RealtimeVoiceEngine({
      apiKey,
      baseURL: config.openai.baseURL,
      model: config.openai.realtimeModel,
      transcribeModel: config.openai.transcribeModel,
      voice: config.openai.voice,
      log,
      sideband: { callId, project },
    });
}
