// Sharing through @immich/sdk: Alice shares an album with Bob as a viewer (he sees it and its timeline,
// cannot add or remove), makes him an editor (he adds his photo), then shares it by a password-protected
// link that allows upload but not download; a client with no account unlocks the link with the password,
// lists the album's assets, uploads a photo into it, and is refused every download.
// Usage: node sdk-sharing-day.mjs <baseUrl ending in /api> <alice email> <password> <bob email> <file> x3
// Prints one JSON object {"ids": {...}, "steps": {...}}: for every step either
// {"ok": true, "status": <HTTP status>, "value": ...} or {"ok": false, "status": <HTTP status or null>,
// "error": ...}; the Python test judges them.
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import {
  addAssetsToAlbum,
  addUsersToAlbum,
  createAlbum,
  createSharedLink,
  createUserAdmin,
  defaults,
  downloadArchive,
  downloadAsset,
  getAlbumInfo,
  getAllAlbums,
  getDownloadInfo,
  getMySharedLink,
  getTimeBucket,
  getTimeBuckets,
  isHttpError,
  login,
  removeAssetFromAlbum,
  setBaseUrl,
  sharedLinkLogin,
  signUpAdmin,
  updateAlbumUser,
  uploadAsset,
} from '@immich/sdk';

const [baseUrl, aliceEmail, password, bobEmail, ...files] = process.argv.slice(2);
if (!baseUrl || !aliceEmail || !password || !bobEmail || files.length < 3) {
  console.error('usage: node sdk-sharing-day.mjs <baseUrl> <alice email> <password> <bob email> <three files>');
  process.exit(2);
}
const LINK_PASSWORD = 'open sesame';

const steps = {};
const ids = {};
const finish = () => {
  console.log(JSON.stringify({ ids, steps }));
  process.exit(0);
};

// Every request goes through this fetch: it records the status the SDK saw, and keeps the cookies the
// server sets for the anonymous visitor (the shared-link token), as a browser would.
let lastStatus = null;
const visitorCookies = new Map();
defaults.fetch = async (url, init) => {
  const headers = new Headers(init?.headers);
  const visitor = headers.get('x-albumen-visitor') !== null;
  headers.delete('x-albumen-visitor');
  if (visitor && visitorCookies.size > 0) {
    headers.set('cookie', [...visitorCookies].map(([name, value]) => `${name}=${value}`).join('; '));
  }
  const response = await fetch(url, { ...init, headers });
  lastStatus = response.status;
  if (visitor) {
    for (const cookie of response.headers.getSetCookie()) {
      const [pair] = cookie.split(';');
      const at = pair.indexOf('=');
      visitorCookies.set(pair.slice(0, at).trim(), pair.slice(at + 1).trim());
    }
  }
  return response;
};

const step = async (name, call) => {
  lastStatus = null;
  try {
    const value = await call();
    steps[name] = { ok: true, status: lastStatus, value: value ?? null };
    return value;
  } catch (error) {
    steps[name] = isHttpError(error)
      ? { ok: false, status: error.status, error: error.data ?? null }
      : { ok: false, status: lastStatus, error: String(error) };
    return undefined;
  }
};

const bearer = (token) => ({ headers: { Authorization: `Bearer ${token}` } });
const visitor = { headers: { 'x-albumen-visitor': '1' } };
const fileOf = async (path) => new File([await readFile(path)], basename(path), { type: 'image/jpeg' });
const uploadDto = async (path, day) => ({
  assetData: await fileOf(path),
  fileCreatedAt: `2024-06-${String(day).padStart(2, '0')}T10:00:00.000Z`,
  fileModifiedAt: `2024-06-${String(day).padStart(2, '0')}T10:00:00.000Z`,
});
// An album's assets, as the web app lists them in v3: its timeline, month by month.
const albumAssetIds = async (albumId, opts, key) => {
  const months = await getTimeBuckets({ albumId, key }, opts);
  const found = [];
  for (const month of months) {
    found.push(...(await getTimeBucket({ albumId, key, timeBucket: month.timeBucket }, opts)).id);
  }
  return found;
};

setBaseUrl(baseUrl);
await step('signUpAdmin', () => signUpAdmin({ signUpDto: { email: aliceEmail, password, name: 'Alice' } }));
const alice = await step('loginAlice', () => login({ loginCredentialDto: { email: aliceEmail, password } }));
if (!alice) {
  finish();
}
const asAlice = bearer(alice.accessToken);
const bobUser = await step('createBob', () =>
  createUserAdmin({ userAdminCreateDto: { email: bobEmail, password, name: 'Bob' } }, asAlice),
);
const bob = await step('loginBob', () => login({ loginCredentialDto: { email: bobEmail, password } }));
if (!bobUser || !bob) {
  finish();
}
const asBob = bearer(bob.accessToken);

const [alicePath, bobPath, visitorPath] = files;
const alicePhoto = await step('aliceUploads', async () =>
  uploadAsset({ assetMediaCreateDto: await uploadDto(alicePath, 1) }, asAlice),
);
const bobPhoto = await step('bobUploads', async () =>
  uploadAsset({ assetMediaCreateDto: await uploadDto(bobPath, 2) }, asBob),
);
if (!alicePhoto || !bobPhoto) {
  finish();
}
ids.alice = alicePhoto.id;
ids.bob = bobPhoto.id;
ids.bobUser = bobUser.id;

// Alice's album, shared with Bob as a viewer.
const album = await step('createAlbum', () =>
  createAlbum({ createAlbumDto: { albumName: 'Summer', assetIds: [alicePhoto.id] } }, asAlice),
);
if (!album) {
  finish();
}
ids.album = album.id;
await step('shareWithBobAsViewer', () =>
  addUsersToAlbum({ id: album.id, addUsersDto: { albumUsers: [{ userId: bobUser.id, role: 'viewer' }] } }, asAlice),
);

// Bob sees it and its timeline, and can neither add nor remove.
await step('bobListsSharedAlbums', () => getAllAlbums({ shared: true }, asBob));
await step('bobReadsAlbum', () => getAlbumInfo({ id: album.id }, asBob));
await step('bobListsAssets', () => albumAssetIds(album.id, asBob));
const buckets = await step('bobReadsAlbumBuckets', () => getTimeBuckets({ albumId: album.id }, asBob));
if (buckets?.length) {
  await step('bobReadsAlbumBucket', () =>
    getTimeBucket({ albumId: album.id, timeBucket: buckets[0].timeBucket }, asBob),
  );
}
await step('viewerBobAdds', () => addAssetsToAlbum({ id: album.id, bulkIdsDto: { ids: [bobPhoto.id] } }, asBob));
await step('viewerBobRemoves', () =>
  removeAssetFromAlbum({ id: album.id, bulkIdsDto: { ids: [alicePhoto.id] } }, asBob),
);
await step('albumAfterViewer', () => albumAssetIds(album.id, asAlice));

// Alice makes Bob an editor; he adds his photo.
await step('makeBobEditor', () =>
  updateAlbumUser({ id: album.id, userId: bobUser.id, updateAlbumUserDto: { role: 'editor' } }, asAlice),
);
await step('editorBobAdds', () => addAssetsToAlbum({ id: album.id, bulkIdsDto: { ids: [bobPhoto.id] } }, asBob));
await step('albumAfterEditor', () => albumAssetIds(album.id, asAlice));
await step('albumUsersAfterEditor', () => getAlbumInfo({ id: album.id }, asAlice));

// A password-protected link to the album: upload allowed, download not.
const link = await step('createLink', () =>
  createSharedLink(
    {
      sharedLinkCreateDto: {
        type: 'ALBUM',
        albumId: album.id,
        password: LINK_PASSWORD,
        allowUpload: true,
        allowDownload: false,
        showMetadata: true,
      },
    },
    asAlice,
  ),
);
if (!link) {
  finish();
}
const key = link.key;
await step('visitorWithoutPassword', () => getMySharedLink({ key }, visitor));
await step('visitorWrongPassword', () =>
  sharedLinkLogin({ key, sharedLinkLoginDto: { password: 'not the password' } }, visitor),
);
await step('visitorUnlocks', () => sharedLinkLogin({ key, sharedLinkLoginDto: { password: LINK_PASSWORD } }, visitor));
await step('visitorReadsLink', () => getMySharedLink({ key }, visitor));
await step('visitorReadsAlbum', () => getAlbumInfo({ id: album.id, key }, visitor));
await step('visitorListsAssets', () => albumAssetIds(album.id, visitor, key));
await step('visitorReadsBuckets', () => getTimeBuckets({ albumId: album.id, key }, visitor));
const uploaded = await step('visitorUploads', async () =>
  uploadAsset({ key, assetMediaCreateDto: await uploadDto(visitorPath, 3) }, visitor),
);
if (uploaded) {
  ids.visitor = uploaded.id;
}
await step('visitorListsAfterUpload', () => albumAssetIds(album.id, visitor, key));
await step('visitorDownloadsOriginal', () => downloadAsset({ id: alicePhoto.id, key }, visitor));
await step('visitorDownloadInfo', () => getDownloadInfo({ key, downloadInfoDto: { albumId: album.id } }, visitor));
await step('visitorDownloadArchive', () =>
  downloadArchive({ key, downloadArchiveDto: { assetIds: [alicePhoto.id] } }, visitor),
);
await step('aliceSeesVisitorUpload', () => albumAssetIds(album.id, asAlice));
finish();
