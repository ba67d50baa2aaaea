import { defineConfig } from 'tsdown';

// Two passes. The JavaScript comes from the sources. The types come from the declarations
// `tsc -p tsconfig.build.json` wrote to .types/ (the repository's TypeScript 7, which has
// no JavaScript API for tsdown's own declaration pass to call), bundled into one file with
// the contracts' declarations inlined (tsconfig.bundle.json points `@photogram/contracts`
// at them), so an app needs no @photogram source to see them.
export default defineConfig([
  {
    entry: { index: 'src/index.ts', cli: 'src/bin.ts' },
    format: 'esm',
    fixedExtension: false,
    // The code both entries share (the client) goes to one chunk with a name to read.
    outputOptions: { chunkFileNames: 'shared.js' },
    platform: 'node',
    target: 'node20.19',
    dts: false,
  },
  {
    entry: { index: './.types/client/src/index.d.ts' },
    tsconfig: 'tsconfig.bundle.json',
    format: 'esm',
    fixedExtension: false,
    platform: 'node',
    clean: false,
    dts: { dtsInput: true, emitDtsOnly: true },
  },
]);
