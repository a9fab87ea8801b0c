// Moved to workers/lab/artifacts.ts (the demo lab publishes releases with it); tests keep importing it from here.
export * from '../../workers/lab/artifacts.js';
