// Vite build of the CityGrid dashboard: output in web/dist, served by the server at :8080.
import { defineConfig } from 'vite';
import vue from '@vitejs/plugin-vue';

const root = decodeURIComponent(new URL('.', import.meta.url).pathname);
const server = 'http://127.0.0.1:8080'; // the CityGrid server in dev (npm start)

export default defineConfig({
  root,
  plugins: [vue()],
  define: {
    __VUE_OPTIONS_API__: 'false',
    __VUE_PROD_DEVTOOLS__: 'false',
    __VUE_PROD_HYDRATION_MISMATCH_DETAILS__: 'false',
    __VUE_I18N_FULL_INSTALL__: 'false',
    __VUE_I18N_LEGACY_API__: 'false',
    __INTLIFY_PROD_DEVTOOLS__: 'false',
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 700, // kB; echarts alone (map, lines, bars, ripples) is ~630 kB minified
    rolldownOptions: {
      // @citygrid/contract declares "sideEffects": false, so its zod schemas (unused here) are dropped.
      output: {
        // Libraries change less often than the app: separate chunks cache across releases.
        codeSplitting: {
          groups: [
            { name: 'echarts', test: /node_modules[\\/](echarts|zrender)[\\/]/ },
            { name: 'vendor', test: /node_modules[\\/]/ },
          ],
        },
      },
    },
  },
  server: {
    proxy: {
      '/api': server,
      '/metrics': server,
      '/socket.io': { target: server, ws: true },
    },
  },
});
