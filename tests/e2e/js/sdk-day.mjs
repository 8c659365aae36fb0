// A first day with @immich/sdk against a fresh server: sign up, log in, look around, make an API key.
// Usage: node sdk-day.mjs <baseUrl ending in /api> <email> <password> <user email>
// The admin signs up with <email>, then creates a user with <user email>, who logs in in turn.
// Prints one JSON object: for every step either {"ok": true, "value": ...} or
// {"ok": false, "status": <HTTP status or null>, "error": ...}, so the Python test can say which call failed.
import {
  createApiKey,
  createUserAdmin,
  defaults,
  getAboutInfo,
  getMyApiKey,
  getMyUser,
  getServerFeatures,
  getServerVersion,
  getSessions,
  init,
  isHttpError,
  login,
  setApiKey,
  setBaseUrl,
  signUpAdmin,
  updateMyUser,
} from '@immich/sdk';

const [baseUrl, email, password, userEmail] = process.argv.slice(2);
if (!baseUrl || !email || !password || !userEmail) {
  console.error('usage: node sdk-day.mjs <baseUrl> <email> <password> <user email>');
  process.exit(2);
}

const steps = {};

const step = async (name, call) => {
  try {
    const value = await call();
    steps[name] = { ok: true, value: value ?? null };
    return value;
  } catch (error) {
    steps[name] = isHttpError(error)
      ? { ok: false, status: error.status, error: error.data ?? null }
      : { ok: false, status: null, error: String(error) };
    return undefined;
  }
};

// Without credentials: what any client asks first.
setBaseUrl(baseUrl);
await step('getServerVersion', () => getServerVersion());
await step('getServerFeatures', () => getServerFeatures());
await step('signUpAdmin', () => signUpAdmin({ signUpDto: { email, password, name: 'Day One' } }));
const auth = await step('login', () => login({ loginCredentialDto: { email, password } }));

if (auth) {
  // As the web app does after login: the session token on every request.
  defaults.headers = { ...defaults.headers, Authorization: `Bearer ${auth.accessToken}` };
  await step('getMyUser', () => getMyUser());
  await step('getSessions', () => getSessions());
  await step('getAboutInfo', () => getAboutInfo());
  await step('updateMyUser', () => updateMyUser({ userUpdateMeDto: { name: 'Day Two' } }));
  await step('getMyUserAfterUpdate', () => getMyUser());
  await step('createUserAdmin', () =>
    createUserAdmin({ userAdminCreateDto: { email: userEmail, password, name: 'Second User' } }),
  );
  const created = await step('createApiKey', () =>
    createApiKey({ apiKeyCreateDto: { name: 'sdk day', permissions: ['all'] } }),
  );

  if (created) {
    // As the CLI does: only the API key, no session token.
    defaults.headers = {};
    init({ baseUrl, apiKey: created.secret });
    await step('getMyUserWithApiKey', () => getMyUser());
    await step('getMyApiKey', () => getMyApiKey());
    setApiKey(`${created.secret}-wrong`);
    await step('getMyUserWithWrongApiKey', () => getMyUser());
  }

  // The user the admin created logs in with the address as the admin typed it.
  defaults.headers = {};
  const userAuth = await step('loginAsUser', () => login({ loginCredentialDto: { email: userEmail, password } }));
  if (userAuth) {
    defaults.headers = { Authorization: `Bearer ${userAuth.accessToken}` };
    await step('getMyUserAsUser', () => getMyUser());
  }
}

console.log(JSON.stringify(steps));
