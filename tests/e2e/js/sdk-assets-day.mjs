// A day with assets through @immich/sdk: upload, look, edit, favourite, archive, albums, trash and restore,
// delete for good, download originals and a zip, and find out what is already on the server.
// Usage: node sdk-assets-day.mjs <baseUrl ending in /api> <email> <password> <out dir> <file> x5
// The first file is uploaded as a File (its name travels in the multipart part), the second as a plain Blob
// with the `filename` field (as `fs.openAsBlob` gives it), the rest as Files; the fifth one hidden (as the
// mobile app uploads the video of a live photo). Five files.
// Downloads are written to <out dir>. Prints one JSON object {"ids": {...}, "steps": {...}}: for every step
// either {"ok": true, "status": <HTTP status>, "value": ...} or {"ok": false, "status": <HTTP status or null>,
// "error": ...}; the Python test judges them.
import { createHash } from 'node:crypto';
import { openAsBlob } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import {
  addAssetsToAlbum,
  checkBulkUpload,
  createAlbum,
  defaults,
  deleteAssets,
  downloadArchive,
  downloadAsset,
  emptyTrash,
  getAllAlbums,
  getAssetInfo,
  getAssetStatistics,
  getDownloadInfo,
  isHttpError,
  login,
  restoreAssets,
  restoreTrash,
  setBaseUrl,
  signUpAdmin,
  updateAsset,
  updateAssets,
  uploadAsset,
  viewAsset,
} from '@immich/sdk';

const [baseUrl, email, password, outDir, ...files] = process.argv.slice(2);
if (!baseUrl || !email || !password || !outDir || files.length < 5) {
  console.error('usage: node sdk-assets-day.mjs <baseUrl> <email> <password> <out dir> <five files>');
  process.exit(2);
}

const steps = {};
let ids = {};
const finish = () => {
  console.log(JSON.stringify({ ids, steps }));
  process.exit(0);
};

// Every request goes through this fetch, so each step also records the HTTP status the SDK saw.
let lastStatus = null;
defaults.fetch = async (url, init) => {
  const response = await fetch(url, init);
  lastStatus = response.status;
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

// Immich deletes for good in a background job; ask again for a while until `done` holds (or give up and
// record the last answer, for the Python side to judge).
const settle = async (name, call, done, timeoutMs = 15000) => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await step(name, call);
    if (done(steps[name]) || Date.now() > deadline) {
      return steps[name];
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
};

const saveBlob = async (blob, fileName) => {
  const bytes = Buffer.from(await blob.arrayBuffer());
  await writeFile(join(outDir, fileName), bytes);
  return { file: fileName, size: bytes.length, type: blob.type };
};

const sha1 = (bytes) => createHash('sha1').update(bytes).digest();
const createdAt = (day) => `2024-05-${String(day).padStart(2, '0')}T10:00:00.000Z`;

// Small wrappers so each step below reads as one line.
const fileOf = async (path, name = basename(path)) =>
  new File([await readFile(path)], name, { type: 'image/jpeg' });
const checksumOf = async (path) => sha1(await readFile(path));
const info = (id) => getAssetInfo({ id });
const statistics = (query = {}) => getAssetStatistics(query);
const bulkUpdate = (assetBulkUpdateDto) => updateAssets({ assetBulkUpdateDto });
const remove = (ids, force) => deleteAssets({ assetBulkDeleteDto: force ? { ids, force } : { ids } });
const bulkCheck = (assets) => checkBulkUpload({ assetBulkUploadCheckDto: { assets } });
const upload = (name, assetData, day, extra = {}) =>
  step(name, () =>
    uploadAsset({
      assetMediaCreateDto: { assetData, fileCreatedAt: createdAt(day), fileModifiedAt: createdAt(day), ...extra },
    }),
  );

setBaseUrl(baseUrl);
await step('signUpAdmin', () => signUpAdmin({ signUpDto: { email, password, name: 'Asset Day' } }));
const auth = await step('login', () => login({ loginCredentialDto: { email, password } }));
if (!auth) {
  finish();
}
defaults.headers = { ...defaults.headers, Authorization: `Bearer ${auth.accessToken}` };

// Upload: the web app's way (a File whose name is the part's file name) and a Blob named by `filename`.
const [falconPath, rocksPath, cyclamenPath, cactusPath, hiddenPath] = files;
const falcon = await upload('uploadFalcon', await fileOf(falconPath), 1);
const rocksBlob = await openAsBlob(rocksPath, { type: 'image/jpeg' });
const rocks = await upload('uploadRocks', rocksBlob, 2, { filename: basename(rocksPath) });
const cyclamen = await upload('uploadCyclamen', await fileOf(cyclamenPath), 3);
const cactus = await upload('uploadCactus', await fileOf(cactusPath), 4);
const hidden = await upload('uploadHidden', await fileOf(hiddenPath), 5, { visibility: 'hidden' });

// The same bytes again, under another name: the server already has them. Then as the mobile app does, the
// checksum in `x-immich-checksum`, which the server answers before it reads the body (here other bytes).
const falconSha1 = await checksumOf(falconPath);
await upload('uploadFalconAgain', await fileOf(falconPath, 'falcon-copy.jpg'), 6);
await step('uploadFalconAgainWithChecksumHeader', () =>
  uploadAsset({
    xImmichChecksum: falconSha1.toString('hex'),
    assetMediaCreateDto: {
      assetData: new File([rocksBlob], 'not-read-when-the-checksum-is-known.jpg'),
      fileCreatedAt: createdAt(7),
      fileModifiedAt: createdAt(7),
    },
  }),
);
await step('checkBulkUpload', () =>
  bulkCheck([
    { id: 'falcon-hex', checksum: falconSha1.toString('hex') },
    { id: 'falcon-base64', checksum: falconSha1.toString('base64') },
    { id: 'unseen', checksum: sha1(Buffer.from('bytes this server has never seen')).toString('hex') },
  ]),
);

if (!falcon || !rocks || !cyclamen || !cactus || !hidden) {
  finish();
}
ids = { falcon: falcon.id, rocks: rocks.id, cyclamen: cyclamen.id, cactus: cactus.id, hidden: hidden.id };

// Look and edit.
await step('getFalcon', () => info(falcon.id));
await step('getRocks', () => info(rocks.id));
await step('updateFalcon', () =>
  updateAsset({ id: falcon.id, updateAssetDto: { description: 'A prairie falcon on a post', rating: 4 } }),
);
await step('getFalconAfterUpdate', () => info(falcon.id));
await step('statisticsAtStart', () => statistics());

// Thumbnails and previews, as the web app and the mobile app ask for them (edited=true: the edited
// version when there is one, else the plain one). The first waits for the thumbnail job to have run.
const ext = (blob) => (blob.type === 'image/webp' ? 'webp' : 'jpg');
const view = (size, edited) => async () => {
  const blob = await viewAsset({ id: falcon.id, size, edited });
  return saveBlob(blob, `falcon-${size}${edited ? '-edited' : ''}.${ext(blob)}`);
};
await settle('viewThumbnail', view('thumbnail'), (outcome) => outcome.ok, 60000);
await step('viewThumbnailEdited', view('thumbnail', true));
await step('viewPreview', view('preview'));
await step('viewPreviewEdited', view('preview', true));

// Favourite both, archive the rocks, in bulk.
await step('favoriteInBulk', () => bulkUpdate({ ids: [falcon.id, rocks.id], isFavorite: true }));
await step('archiveInBulk', () => bulkUpdate({ ids: [rocks.id], visibility: 'archive' }));
await step('getFalconAfterBulk', () => info(falcon.id));
await step('getRocksAfterBulk', () => info(rocks.id));
await step('statisticsAll', () => statistics());
await step('statisticsFavorites', () => statistics({ isFavorite: true }));
await step('statisticsArchived', () => statistics({ visibility: 'archive' }));
await step('statisticsTimeline', () => statistics({ visibility: 'timeline' }));
await step('statisticsHidden', () => statistics({ visibility: 'hidden' }));

// Albums.
const album = await step('createAlbum', () =>
  createAlbum({ createAlbumDto: { albumName: 'Birds and rocks', assetIds: [falcon.id] } }),
);
await step('getAllAlbums', () => getAllAlbums({}));
if (album) {
  await step('addAssetsToAlbum', () =>
    addAssetsToAlbum({ id: album.id, bulkIdsDto: { ids: [rocks.id, falcon.id] } }),
  );
  await step('getAllAlbumsAfterAdd', () => getAllAlbums({}));
  await step('getAlbumsWithRocks', () => getAllAlbums({ assetId: rocks.id }));
}

// Trash and restore: one by id, then everything.
await step('trashCyclamenAndCactus', () => remove([cyclamen.id, cactus.id]));
await step('getCyclamenTrashed', () => info(cyclamen.id));
await step('statisticsTrashed', () => statistics({ isTrashed: true }));
await step('statisticsWhileTrashed', () => statistics());
await step('statisticsTimelineWhileTrashed', () => statistics({ visibility: 'timeline' }));
const cyclamenSha1 = await checksumOf(cyclamenPath);
await step('checkBulkUploadTrashed', () =>
  bulkCheck([{ id: 'cyclamen', checksum: cyclamenSha1.toString('hex') }]),
);
await step('restoreCyclamen', () => restoreAssets({ bulkIdsDto: { ids: [cyclamen.id] } }));
await step('getCyclamenRestored', () => info(cyclamen.id));
await step('statisticsTrashedAfterRestore', () => statistics({ isTrashed: true }));
await step('trashCyclamenAgain', () => remove([cyclamen.id]));
await step('restoreTrash', () => restoreTrash());
await step('statisticsTrashedAfterRestoreTrash', () => statistics({ isTrashed: true }));
await step('getCactusRestored', () => info(cactus.id));

// Empty the trash: the cyclamen goes for good.
await step('trashCyclamenForEmpty', () => remove([cyclamen.id]));
await step('emptyTrash', () => emptyTrash());
await step('statisticsTrashedAfterEmpty', () => statistics({ isTrashed: true }));
await settle('getCyclamenAfterEmpty', () => info(cyclamen.id), (outcome) => !outcome.ok);

// Delete for good without the trash: the cactus.
await step('forceDeleteCactus', () => remove([cactus.id], true));
await settle('getCactusAfterForceDelete', () => info(cactus.id), (outcome) => !outcome.ok);
await step('statisticsAtEnd', () => statistics());
await step('statisticsTrashedAtEnd', () => statistics({ isTrashed: true }));
const cactusSha1 = await checksumOf(cactusPath);
await step('checkBulkUploadDeleted', () => bulkCheck([{ id: 'cactus', checksum: cactusSha1.toString('hex') }]));
await upload('uploadCactusAgain', await fileOf(cactusPath), 8);

// Downloads: two originals, then the zip(s) the web app would build.
await step('downloadFalcon', async () => saveBlob(await downloadAsset({ id: falcon.id }), 'falcon-original'));
await step('downloadRocks', async () => saveBlob(await downloadAsset({ id: rocks.id }), 'rocks-original'));
const download = await step('getDownloadInfo', () =>
  getDownloadInfo({ downloadInfoDto: { assetIds: [falcon.id, rocks.id] } }),
);
for (const [index, archive] of (download?.archives ?? []).entries()) {
  await step(`downloadArchive${index}`, async () => {
    const zip = await downloadArchive({ downloadArchiveDto: { assetIds: archive.assetIds } });
    return saveBlob(zip, `archive-${index}.zip`);
  });
}
if (album) {
  await step('getDownloadInfoForAlbum', () => getDownloadInfo({ downloadInfoDto: { albumId: album.id } }));
}

finish();
