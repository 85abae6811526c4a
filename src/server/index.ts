export { startServer, isLoopback, type RunningServer, type ServeOptions } from './serve.js';
