// The 3D avatar of the meeting page: a VRM or glTF/GLB model drawn with three.js (WebGL) and driven frame by frame by
// the inference records, in place of the 2D face (face.js) on the same canvas, so that the canvas the master sends to
// viewers (and to KVS ingestion) carries the 3D avatar. avatar.js (the page's draw loop) asks `KvsAvatar3d.ready()` for
// every frame and calls `KvsAvatar3d.drawFace(canvas, frame, seconds)` instead of `KvsFace.drawFace` when it is.
// The libraries come from the worker itself (/meeting/vendor/, the import map in index.html), never from a CDN. When
// they are missing, WebGL is missing, the avatar does not load, or it has no mouth shapes this page knows, the page
// says why and keeps the 2D face.
// Mapping by convention, the first that the model has:
//   VRM expression presets: aa ih ou ee oh, blink (consonants folded into the vowels; VRM has no consonant presets);
//   Oculus/Ready Player Me visemes: viseme_sil PP FF TH DD kk CH SS nn RR aa E I O U (+ ARKit eyeBlinkLeft/Right);
//   ARKit blend shapes: jawOpen mouthClose mouthFunnel mouthPucker mouthStretch* mouthRollLower mouthSmile* eyeBlink*.
// A vowel's weight is its viseme value times the opening (0.3 + 0.7 jawOpen), as the 2D face opens its mouth.
const state = {
  status: 'loading', // loading | ready | fallback
  reason: '',        // why the page draws the 2D face (status fallback), or what is shown
  convention: null,  // vrm | oculus | arkit
  avatarName: null,
  samples: [],       // { t, frame, weights, drawMs, scale } per drawn frame: the record values, the morph weights read back, the
                     // cost, the render scale
};
const MAX_SAMPLES = 6000;
const VOWELS = ['aa', 'ih', 'ou', 'ee', 'oh'];
const CONSONANTS = ['pp', 'ff', 'th', 'dd', 'kk', 'ch', 'ss', 'nn', 'rr'];
const OCULUS = { sil: 'viseme_sil', pp: 'viseme_PP', ff: 'viseme_FF', th: 'viseme_TH', dd: 'viseme_DD', kk: 'viseme_kk', ch: 'viseme_CH',
  ss: 'viseme_SS', nn: 'viseme_nn', rr: 'viseme_RR', aa: 'viseme_aa', ee: 'viseme_E', ih: 'viseme_I', oh: 'viseme_O', ou: 'viseme_U' };
const ARKIT_MOUTH = ['jawOpen', 'mouthClose', 'mouthFunnel', 'mouthPucker', 'mouthStretchLeft', 'mouthStretchRight', 'mouthRollLower'];
const clamp01 = v => Math.min(1, Math.max(0, Number(v) || 0));

let THREE, GLTFLoader, VRMLoaderPlugin, VRMUtils;
let renderer, scene, camera, glCanvas, avatar = null, loadSeq = 0;

// What each convention's targets get for a frame: { target name: weight }.
// As the 2D face: the visemes are shares of one mouth (normalised to sum to one with silence), the vowels' shapes opened
// by the jaw.
function vowelWeights(frame) {
  const open = 0.3 + 0.7 * clamp01(frame.jawOpen);
  const sum = [...VOWELS, ...CONSONANTS, 'silence'].reduce((s, k) => s + clamp01(frame[k]), 0);
  const share = k => sum > 1e-6 ? clamp01(frame[k]) / sum : 0;
  const w = {};
  for (const v of VOWELS) w[v] = share(v) * open;
  for (const c of CONSONANTS) w[c] = share(c);
  w.sil = sum > 1e-6 ? share('silence') : 1;
  return w;
}

const MAPPINGS = {
  vrm(frame, blink) {
    const w = vowelWeights(frame);
    // Lips together (PP) or lip on teeth (FF) close the mouth; the other consonants are small vowel-like openings.
    const close = Math.max(w.pp, 0.6 * w.ff);
    const out = {};
    for (const v of VOWELS) out[v] = w[v] * (1 - close);
    out.ih = Math.min(1, out.ih + 0.3 * (w.th + w.dd + w.kk + w.ss + w.nn));
    out.ou = Math.min(1, out.ou + 0.4 * (w.ch + w.rr));
    out.blink = blink;
    return out;
  },
  oculus(frame, blink) {
    const w = vowelWeights(frame);
    const out = {};
    for (const [k, name] of Object.entries(OCULUS)) out[name] = w[k];
    out.eyeBlinkLeft = out.eyeBlinkRight = blink;
    return out;
  },
  arkit(frame, blink) {
    const w = vowelWeights(frame);
    const stretch = 0.6 * w.ee + 0.3 * w.ih + 0.3 * w.ss;
    return {
      jawOpen: clamp01(frame.jawOpen) * (1 - w.pp) * (1 - 0.5 * w.ff),
      mouthClose: w.pp, mouthFunnel: Math.min(1, w.oh + 0.5 * w.ch), mouthPucker: Math.min(1, w.ou + 0.5 * w.rr),
      mouthStretchLeft: stretch, mouthStretchRight: stretch, mouthRollLower: w.ff,
      mouthSmileLeft: 0.3 * w.ee, mouthSmileRight: 0.3 * w.ee, eyeBlinkLeft: blink, eyeBlinkRight: blink,
    };
  },
};

// A blink of 150 ms about every 4 s, as the 2D face; 1 = closed.
function blinkAt(seconds) {
  const t = seconds % 4.0;
  return t < 0.15 ? 0.5 - 0.5 * Math.cos(2 * Math.PI * t / 0.15) : 0;
}

function setStatus(status, reason) {
  state.status = status;
  state.reason = reason;
  const el = document.getElementById('avatar3dStatus');
  if (el) el.textContent = (status === 'fallback' ? '2D face: ' : '') + reason;
}

// Meshes with morph targets and their names: what this page can drive directly and read back.
function morphMeshes(root) {
  const meshes = [];
  root.traverse(o => { if (o.isMesh && o.morphTargetDictionary && o.morphTargetInfluences) meshes.push(o); });
  return meshes;
}

// The driver of a loaded model: which convention it follows and how to set a frame's weights.
function driverFor(gltf) {
  const vrm = gltf.userData.vrm;
  if (vrm && vrm.expressionManager) {
    const known = VOWELS.filter(v => vrm.expressionManager.getExpression(v));
    if (known.length > 0) {
      return { convention: 'vrm', root: vrm.scene, vrm,
        set: weights => { for (const [k, v] of Object.entries(weights)) if (vrm.expressionManager.getExpression(k)) vrm.expressionManager.setValue(k, v); } };
    }
  }
  const root = vrm ? vrm.scene : gltf.scene;
  const meshes = morphMeshes(root);
  const has = name => meshes.some(m => name in m.morphTargetDictionary);
  const setMorphs = weights => {
    for (const m of meshes) for (const [k, v] of Object.entries(weights)) { const i = m.morphTargetDictionary[k]; if (i !== undefined) m.morphTargetInfluences[i] = v; }
  };
  if (Object.values(OCULUS).some(has)) return { convention: 'oculus', root, vrm, set: setMorphs };
  if (ARKIT_MOUTH.some(has)) return { convention: 'arkit', root, vrm, set: setMorphs };
  const names = [...new Set(meshes.flatMap(m => Object.keys(m.morphTargetDictionary)))];
  return { convention: null, root, vrm, names };
}

// The node to move for idle head motion and the box to frame: the VRM head bone, a node named Head, or the model.
function headOf(driver) {
  if (driver.vrm && driver.vrm.humanoid) {
    const bone = driver.vrm.humanoid.getNormalizedBoneNode('head');
    if (bone) {
      const p = new THREE.Vector3();
      bone.getWorldPosition(p);
      return { node: bone, box: new THREE.Box3().setFromCenterAndSize(p.add(new THREE.Vector3(0, 0.08, 0)), new THREE.Vector3(0.25, 0.3, 0.25)) };
    }
  }
  let named = null;
  driver.root.traverse(o => { if (!named && /^head$/i.test(o.name)) named = o; });
  if (named) {
    const box = new THREE.Box3().setFromObject(named);
    if (!box.isEmpty()) return { node: named, box };
    const p = new THREE.Vector3();
    named.getWorldPosition(p); // a bone: skinned meshes are not its children
    return { node: named, box: new THREE.Box3().setFromCenterAndSize(p.add(new THREE.Vector3(0, 0.08, 0)), new THREE.Vector3(0.25, 0.3, 0.25)) };
  }
  return { node: driver.root, box: new THREE.Box3().setFromObject(driver.root) };
}

function frameCamera(box) {
  const size = box.getSize(new THREE.Vector3()), centre = box.getCenter(new THREE.Vector3());
  const fov = 30, height = Math.max(size.y, size.x / camera.aspect) / 0.9; // the head fills 90 % of the picture
  const distance = height / 2 / Math.tan(THREE.MathUtils.degToRad(fov / 2)) + size.z / 2;
  camera.fov = fov;
  camera.near = distance / 100;
  camera.far = distance * 100;
  camera.position.set(centre.x, centre.y, centre.z + distance);
  camera.lookAt(centre);
  camera.updateProjectionMatrix();
}

async function loadLibraries() {
  glCanvas = document.createElement('canvas');
  if (!(glCanvas.getContext('webgl2') || glCanvas.getContext('webgl'))) throw new Error('this browser has no WebGL');
  const config = await (await fetch('/meeting/avatar3d/config')).json();
  if (!config.libraries) throw new Error(config.librariesMissing);
  [THREE, { GLTFLoader }, { VRMLoaderPlugin, VRMUtils }] = await Promise.all([
    import('three'), import('three/addons/loaders/GLTFLoader.js'), import('@pixiv/three-vrm')]);
  // No multisampling: in software WebGL (SwiftShader: headless servers, machines without a GPU) it costs more than
  // the whole rest of the frame.
  renderer = new THREE.WebGLRenderer({ canvas: glCanvas, antialias: false, preserveDrawingBuffer: true });
  scene = new THREE.Scene();
  scene.background = new THREE.Color(0x2B3A55);
  scene.add(new THREE.HemisphereLight(0xffffff, 0x6a5a50, 1.6));
  const key = new THREE.DirectionalLight(0xffffff, 1.6);
  key.position.set(0.6, 1.0, 2.0);
  scene.add(key);
  camera = new THREE.PerspectiveCamera(30, 4 / 3, 0.01, 100);
  return config;
}

// glTF's physically based materials are drawn as Lambert materials of the same colours and textures: in software WebGL
// (headless servers, machines without a GPU) that cut the CPU per frame of the server-side renderer from 57 to 39 ms at
// 640x480 (bench avatar3d-render, same run). ?pbr on the page's link keeps them. VRM's MToon materials are kept.
const LAMBERT = !new URLSearchParams(location.search).has('pbr');
function toLambert(root) {
  root.traverse(o => {
    if (!o.isMesh || !o.material || !o.material.isMeshStandardMaterial) return;
    const m = o.material;
    o.material = new THREE.MeshLambertMaterial({ color: m.color, map: m.map, emissive: m.emissive, emissiveMap: m.emissiveMap,
      transparent: m.transparent, opacity: m.opacity, alphaTest: m.alphaTest, side: m.side, vertexColors: m.vertexColors });
  });
}

// Loads an avatar from a URL or a File; on failure keeps the previous avatar (or the 2D face) and says why.
async function load(source) {
  const seq = ++loadSeq;
  const name = typeof source === 'string' ? decodeURIComponent(source.split('/').pop()) : source.name;
  setStatus(avatar ? 'ready' : 'loading', `loading ${name}...`);
  const url = typeof source === 'string' ? source : URL.createObjectURL(source);
  try {
    const loader = new GLTFLoader();
    loader.register(parser => new VRMLoaderPlugin(parser));
    const gltf = await loader.loadAsync(url);
    if (seq !== loadSeq) return; // a newer choice won
    const driver = driverFor(gltf);
    if (!driver.convention) {
      const known = driver.names.length ? `its morph targets are ${driver.names.slice(0, 12).join(', ')}${driver.names.length > 12 ? ', ...' : ''}` : 'it has no morph targets';
      throw new Error(`${name} has no VRM mouth expressions (aa ih ou ee oh), Oculus visemes (viseme_aa ...) or ARKit mouth shapes (jawOpen ...); ${known}`);
    }
    if (driver.vrm && VRMUtils.rotateVRM0) VRMUtils.rotateVRM0(driver.vrm); // VRM 0.x models face -Z
    if (LAMBERT) toLambert(driver.root);
    if (avatar) scene.remove(avatar.driver.root);
    scene.add(driver.root);
    driver.root.updateMatrixWorld(true);
    const head = headOf(driver);
    frameCamera(head.box);
    avatar = { driver, head: head.node, rest: head.node.quaternion.clone(), lastSeconds: null };
    state.convention = driver.convention;
    state.avatarName = name;
    setStatus('ready', `3D avatar ${name} (${driver.convention === 'vrm' ? 'VRM expressions' : driver.convention === 'oculus' ? 'Oculus visemes' : 'ARKit shapes'})`);
    const canvas = document.getElementById('face');
    if (canvas) drawFace(canvas, { silence: 1 }, 0); // show it at rest before the meeting starts
  } catch (e) {
    if (seq !== loadSeq) return;
    setStatus(avatar ? 'ready' : 'fallback', `could not use ${name}: ${e && e.message || e}` + (avatar ? `; still showing ${state.avatarName}` : ''));
  } finally {
    if (typeof source !== 'string') URL.revokeObjectURL(url);
  }
}

// Renders one frame of the avatar into the WebGL canvas at width x height and records what was drawn; returns the
// function that completes the record once the pixels are read.
function renderFrame(frame, seconds, width, height) {
  const began = performance.now();
  if (glCanvas.width !== width || glCanvas.height !== height) {
    renderer.setSize(width, height, false);
    camera.aspect = width / height;
    camera.updateProjectionMatrix();
  }
  const { driver } = avatar;
  const weights = MAPPINGS[driver.convention](frame, blinkAt(seconds));
  driver.set(weights);
  // A little idle motion (slow, incommensurate sways of a few degrees) so that the head does not look frozen.
  const e = new THREE.Euler(0.03 * Math.sin(0.37 * seconds + 1), 0.05 * Math.sin(0.5 * seconds), 0.02 * Math.sin(0.29 * seconds + 2));
  avatar.head.quaternion.copy(avatar.rest).multiply(new THREE.Quaternion().setFromEuler(e));
  if (driver.vrm) {
    const dt = avatar.lastSeconds === null ? 0 : Math.max(0, Math.min(0.1, seconds - avatar.lastSeconds));
    driver.vrm.update(dt); // applies the expressions to the morphs, the spring bones
  }
  avatar.lastSeconds = seconds;
  renderer.render(scene, camera);
  const sample = { t: Date.now(), frame: { ...frame }, weights: morphWeights(), drawMs: 0 };
  state.samples.push(sample);
  if (state.samples.length > MAX_SAMPLES) state.samples.splice(0, state.samples.length - MAX_SAMPLES);
  // WebGL works asynchronously: the frame is done when its pixels are read (drawImage, readPixels), which the caller
  // does before calling this.
  return scale => { sample.drawMs = performance.now() - began; sample.t = Date.now(); sample.scale = scale ?? 1; };
}

// The share of the page canvas's width and height the avatar is rendered at (then scaled up onto it). Software WebGL
// (SwiftShader: machines without a GPU) takes tens of ms per frame, most of it per pixel, and blocks the page's main
// thread for all of it (the 2D canvas reads the WebGL pixels back): the mouth then comes late and the canvas runs at a
// few frames a second. So when the median draw of the last frames at the current scale exceeds DRAW_BUDGET_MS, the
// next frames are rendered a step smaller, down to half. It is not raised again within the page (a GPU stays at 1
// from the start; a CPU-starved machine does not get faster by itself). ?renderScale=0.5..1 on the page's link fixes it.
const RENDER_SCALES = [1, 0.75, 0.5];
const median = a => a.slice().sort((x, y) => x - y)[a.length >> 1];
const DRAW_BUDGET_MS = 20;
const fixedScale = Number(new URLSearchParams(location.search).get('renderScale'));
state.renderScale = fixedScale >= 0.25 && fixedScale <= 1 ? fixedScale : 1;
function adaptRenderScale() {
  if (fixedScale) return;
  const atScale = [];
  for (let i = state.samples.length - 1; i >= 0 && atScale.length < 9 && state.samples[i].scale === state.renderScale; i--) atScale.push(state.samples[i].drawMs);
  if (atScale.length < 9) return;
  const next = RENDER_SCALES.find(s => s < state.renderScale);
  if (next !== undefined && median(atScale) > DRAW_BUDGET_MS) state.renderScale = next;
}

// Draws one frame of the avatar on the page's 2D canvas; returns how open the mouth is (0..1), as face.js returns its
// opening for the page's samples.
function drawFace(canvas, frame, seconds) {
  const scale = state.renderScale;
  const done = renderFrame(frame, seconds, Math.round(canvas.width * scale), Math.round(canvas.height * scale));
  canvas.getContext('2d').drawImage(glCanvas, 0, 0, canvas.width, canvas.height);
  done(scale);
  adaptRenderScale();
  return VOWELS.reduce((s, v) => s + clamp01(frame[v]), 0) * (0.3 + 0.7 * clamp01(frame.jawOpen));
}

// Renders one frame and reads its pixels straight from WebGL into `out` (width*height*4 bytes, RGBA, rows bottom-up as
// WebGL stores them): the server-side renderer's path, without a 2D canvas in between.
function renderPixels(frame, seconds, width, height, out) {
  const done = renderFrame(frame, seconds, width, height);
  const gl = renderer.getContext();
  gl.readPixels(0, 0, width, height, gl.RGBA, gl.UNSIGNED_BYTE, out);
  done();
  return out;
}

// How far ahead of now the page should draw: a frame appears on the canvas when its drawing ends, and stays until the
// next one, so what it shows is on average (draw time + the part of the frame interval beyond the page's 33 ms) late.
// The median of the last 30 frames; the 2D face, which draws in about a millisecond, needs none.
function lookaheadMs() {
  const recent = state.samples.slice(-31);
  if (recent.length < 5) return 0;
  const draw = median(recent.map(s => s.drawMs));
  const interval = median(recent.slice(1).map((s, i) => s.t - recent[i].t));
  return Math.min(500, draw + Math.max(0, interval - 33) / 2);
}

// The morph weights as rendered, read back from the meshes: { morph target name: largest influence over meshes }.
function morphWeights() {
  const out = {};
  if (!avatar) return out;
  for (const m of morphMeshes(avatar.driver.root)) {
    for (const [name, i] of Object.entries(m.morphTargetDictionary)) out[name] = Math.max(out[name] ?? 0, m.morphTargetInfluences[i]);
  }
  return out;
}

// The avatar chooser under the canvas: a file input for the user's own .vrm/.glb and the status line.
function addControls() {
  const canvas = document.getElementById('face');
  if (!canvas || !document.getElementById('master') || document.getElementById('avatar3d')) return; // the meeting page only
  const box = document.createElement('div');
  box.id = 'avatar3d';
  box.innerHTML = '<label>Your avatar (.vrm, .glb): <input type="file" id="avatarFile" accept=".vrm,.glb,model/gltf-binary"></label> <span id="avatar3dStatus"></span>';
  canvas.insertAdjacentElement('afterend', box);
  document.getElementById('avatarFile').onchange = e => {
    const file = e.target.files[0];
    if (file && renderer) load(file);
  };
}

window.KvsAvatar3d = {
  state, load, drawFace, renderPixels, morphWeights, lookaheadMs,
  ready: () => state.status === 'ready' && avatar !== null,
};

// Only the master draws the avatar; a viewer (?role=viewer, or a join code ?join=) shows the video it receives.
const pageParams = new URLSearchParams(location.search);
if (pageParams.get('role') !== 'viewer' && !pageParams.has('join')) {
  addControls();
  try {
    const config = await loadLibraries();
    // ?avatar=<url> on the page's link picks an avatar for this page; otherwise the configured one (or the default head).
    const chosen = new URLSearchParams(location.search).get('avatar');
    await load(chosen || config.avatar);
  } catch (e) {
    renderer = null;
    setStatus('fallback', String(e && e.message || e));
    const input = document.getElementById('avatarFile');
    if (input) input.disabled = true;
  }
}
