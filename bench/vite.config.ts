import { defineConfig } from 'vite';

/** Builds the benchmark page (and the download service worker at /sw.js) into bench/dist. */
export default defineConfig({
  root: 'bench/page',
  build: {
    outDir: '../dist',
    emptyOutDir: true,
    target: 'es2022',
    rollupOptions: {
      input: { main: 'bench/page/index.html', sw: 'src/sw.ts' },
      output: { entryFileNames: (chunk) => (chunk.name === 'sw' ? 'sw.js' : 'assets/[name]-[hash].js') },
    },
  },
  worker: { format: 'es' },
});
