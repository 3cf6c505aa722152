#!/usr/bin/env node
// Herald's executable: registers the TypeScript loader (tsx) and runs the CLI.
// Running the sources directly keeps `npm install && npm start` free of a build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
await main(process.argv);
