// The console's ring for an incoming offer, synthesised with WebAudio.
//
// Why synthesised: no audio file to ship or fetch, and nothing to load before the first ring. Browsers only let
// audio play after a user gesture, so unlock() creates the AudioContext on the agent's first click.

export class Ringer {
  constructor() {
    this.context = null;
    this.timer = null;
  }

  /** Create the AudioContext inside a user gesture so the browser lets it play later. */
  unlock() {
    const AudioContextClass = window.AudioContext || window.webkitAudioContext;
    if (!AudioContextClass) return;
    if (!this.context) this.context = new AudioContextClass();
    if (this.context.state === "suspended") this.context.resume().catch(() => {});
  }

  start() {
    if (this.timer) return;
    this.unlock();
    const ringOnce = () => this.burst();
    ringOnce();
    this.timer = setInterval(ringOnce, 2500);
  }

  burst() {
    const ctx = this.context;
    if (!ctx) return;
    const at = ctx.currentTime;
    const gain = ctx.createGain();
    gain.gain.setValueAtTime(0, at);
    gain.connect(ctx.destination);
    for (const [offset, length] of [[0, 0.35], [0.5, 0.35]]) {
      const osc = ctx.createOscillator();
      osc.type = "sine";
      osc.frequency.setValueAtTime(880, at + offset);
      osc.frequency.setValueAtTime(660, at + offset + length / 2);
      osc.connect(gain);
      gain.gain.setTargetAtTime(0.25, at + offset, 0.01);
      gain.gain.setTargetAtTime(0, at + offset + length, 0.02);
      osc.start(at + offset);
      osc.stop(at + offset + length + 0.1);
    }
    setTimeout(() => gain.disconnect(), 1500);
  }

  stop() {
    clearInterval(this.timer);
    this.timer = null;
  }
}
