// Videos this page uploaded, kept as object URLs so the results view can play them
// without downloading them back from the server.

const urls = new Map();

export function rememberClip(analysisId, file) {
  urls.set(String(analysisId), URL.createObjectURL(file));
}

export function clipUrl(analysisId) {
  return urls.get(String(analysisId)) || null;
}

export function setClipFile(analysisId, file) {
  const old = urls.get(String(analysisId));
  if (old) URL.revokeObjectURL(old);
  rememberClip(analysisId, file);
}
