// What the call core may do to the call itself, beyond talking: end it, or hand the caller to a person. Each
// transport brings its own (Twilio's REST API for Media Streams); the core never sees TwiML or a REST call.

export interface CallActions {
  /** How the actions reach the call, for log lines: "Twilio", and "Twilio's REST API". */
  readonly via: string;
  readonly api: string;
  /** Ends the call now. Rejects with the service's reason when it cannot. */
  hangUp(): Promise<void>;
  /** The voice is gone: the transport's own voice says `message`, then the call ends. */
  sayAndHangUp(message: string): Promise<void>;
  /** Says `message`, then hands the caller to `destination` (E.164). */
  sayAndTransfer(message: string, destination: string): Promise<void>;
  /** The service's own words for a failure of one of these actions. */
  describeFailure(error: unknown): string;
}
