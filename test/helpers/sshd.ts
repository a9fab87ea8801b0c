// Moved to lab/sshd.ts (the demo lab uses it too); tests keep importing it from here.
export * from '../../lab/sshd.js';
