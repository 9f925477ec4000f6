// `npm run crds`: writes the LlamaModel CRD generated from operator/api/ into crds/.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CRD_FILE, llamaModelCrdYaml } from './api/crd-yaml.js';

const target = fileURLToPath(new URL(`../${CRD_FILE}`, import.meta.url));
writeFileSync(target, llamaModelCrdYaml());
console.log(`wrote ${CRD_FILE}`);
