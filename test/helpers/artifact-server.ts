// Moved to lab/artifacts.ts (the demo lab publishes releases with it); tests keep importing it from here.
export * from '../../lab/artifacts.js';
