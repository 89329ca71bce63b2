// Entry: global styles, i18n, mount.
import { createApp } from 'vue';
import App from './App.vue';
import { i18n } from './i18n';
import './styles/theme.css';

createApp(App).use(i18n).mount('#app');
