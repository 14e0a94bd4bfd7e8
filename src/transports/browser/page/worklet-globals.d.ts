// The AudioWorkletGlobalScope, which TypeScript's DOM library does not describe: what the worklets use of it.
declare abstract class AudioWorkletProcessor {
  readonly port: MessagePort;
  abstract process(inputs: Float32Array[][], outputs: Float32Array[][], parameters: Record<string, Float32Array>): boolean;
}
declare function registerProcessor(name: string, processor: new () => AudioWorkletProcessor): void;
/** The audio context's sample rate, in the worklet scope. */
declare const sampleRate: number;
