// The package's version, inlined from package.json when the package is built (scripts/build-package.mjs
// defines __ZPB_VERSION__; so does vitest.config.ts for tests that run from source).
declare const __ZPB_VERSION__: string | undefined;

/** This package's version (package.json's `version`). */
export const VERSION: string = typeof __ZPB_VERSION__ === "string" ? __ZPB_VERSION__ : "0.0.0-unbuilt";
