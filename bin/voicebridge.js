#!/usr/bin/env -S node --
// Entry point. Kept to syntax every Node can parse so that an old Node gets a clear message, not a SyntaxError.
// "node --" ends Node's own options: without it Node treats a --env-file flag as its own and exits when the file is missing
// (npx runs on Node without one, so the commands take --env, which Node leaves alone).
var major = Number(process.versions.node.split('.')[0]);
if (major < 22) {
  console.error(
    'voicebridge needs Node.js 22 or newer; this is Node ' + process.versions.node + '.\n' +
    'Node 20 reached end of life on 2026-04-30. Install Node 22 (https://nodejs.org) and run the command again.'
  );
  process.exit(1);
}
import('../dist/cli/main.js').then(
  function (cli) { return cli.main(process.argv); },
  function (error) {
    console.error('voicebridge could not start: ' + (error && error.message ? error.message : String(error)));
    console.error('If you are working from a clone of the repository, run: npm install (it builds dist/).');
    process.exit(1);
  }
);
