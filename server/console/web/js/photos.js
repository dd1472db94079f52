// Photos are addressed by their SHA-256 (docs/photos.md). An <img> cannot send the bearer
// header, so each photo is fetched with it and shown through a blob: URL (the CSP allows
// img-src blob:). Thumbnails are cached for the session; originals open in a viewer.

import { request, ApiError } from './api.js';
import { h } from './dom.js';
import { t } from './i18n.js';

const thumbs = new Map(); // sha256 → Promise<blob URL>

/** forgetPhotos drops the cached thumbnails (at sign-out, or when another user signs in). */
export function forgetPhotos() {
  for (const p of thumbs.values()) p.then((url) => URL.revokeObjectURL(url), () => {});
  thumbs.clear();
}

/** isPhotoHash reports whether v looks like a photo hash (64 lowercase hex). */
export function isPhotoHash(v) { return typeof v === 'string' && /^[0-9a-f]{64}$/.test(v); }

async function blobURL(path) {
  const res = await request(path);
  return URL.createObjectURL(await res.blob());
}

/** thumbnailURL resolves with a blob: URL of the 320 px thumbnail of sha256. */
export function thumbnailURL(sha256) {
  if (!thumbs.has(sha256)) {
    const p = blobURL(`/v1/blobs/${sha256}/thumbnail?w=320`);
    p.catch(() => thumbs.delete(sha256));
    thumbs.set(sha256, p);
  }
  return thumbs.get(sha256);
}

/**
 * thumbnail returns a button with the photo's thumbnail; clicking it opens the original. A photo
 * not uploaded yet (photosPending) shows as "pending".
 */
export function thumbnail(sha256, alt) {
  const img = h('img', { alt: alt || t('photo.alt'), class: 'thumb-img', dataset: { sha256 } });
  const btn = h('button', { type: 'button', class: 'thumb', title: t('photo.open'), onclick: () => openOriginal(sha256, alt) }, img);
  thumbnailURL(sha256).then((url) => { img.src = url; }).catch((err) => {
    btn.replaceChildren(h('span', { class: 'thumb-missing' },
      err instanceof ApiError && err.status === 404 ? t('photo.pending') : t('photo.failed')));
    btn.disabled = true;
  });
  return btn;
}

/** openOriginal shows the full photo in a modal viewer; Escape or a click closes it. */
export async function openOriginal(sha256, alt) {
  const img = h('img', { alt: alt || t('photo.alt'), class: 'viewer-img' });
  const close = h('button', { type: 'button', class: 'btn viewer-close', onclick: () => dlg.close() }, t('common.close'));
  const dlg = h('dialog', { class: 'viewer', 'aria-label': t('photo.original') }, close, img);
  dlg.addEventListener('close', () => { dlg.remove(); if (img.src) URL.revokeObjectURL(img.src); });
  dlg.addEventListener('click', (e) => { if (e.target === dlg || e.target === img) dlg.close(); });
  document.body.append(dlg);
  dlg.showModal();
  try {
    img.src = await blobURL(`/v1/blobs/${sha256}`);
  } catch {
    img.replaceWith(h('p', {}, t('photo.failed')));
  }
}

/** sha256Hex returns the SHA-256 of an ArrayBuffer as lowercase hex. */
export async function sha256Hex(buf) {
  const d = new Uint8Array(await crypto.subtle.digest('SHA-256', buf));
  return [...d].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** upload stores a File (PUT /v1/blobs/{sha256}) and resolves with its hash. Errors: ApiError. */
export async function upload(file) {
  const buf = await file.arrayBuffer();
  const sum = await sha256Hex(buf);
  await request(`/v1/blobs/${sum}`, { method: 'PUT', body: buf, headers: { 'Content-Type': 'application/octet-stream' } });
  return sum;
}
