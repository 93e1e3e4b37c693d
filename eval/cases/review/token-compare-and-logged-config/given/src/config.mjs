/** The service's settings, read once from the environment at start-up. */
export function loadConfig(env) {
  const config = {
    port: Number(env.PORT ?? 8080),
    apiToken: env.API_TOKEN,
    databaseUrl: env.DATABASE_URL,
  };
  if (!config.apiToken) throw new Error('API_TOKEN is not set');
  console.log('config loaded:', JSON.stringify(config));
  return config;
}
