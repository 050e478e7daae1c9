// A simulated host ready to use: System with the mock driver and the self-test ops.
export { System, type SystemOptions } from './system.js';
