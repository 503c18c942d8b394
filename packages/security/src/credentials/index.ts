export { CredentialStore, DEFAULT_PROFILE, checkProfile, maskKey } from './store.js';
export type { CredentialStoreOptions, CredentialStatus, ResolvedCredential } from './store.js';
export { EncryptedCredentialFile } from './file-store.js';
export type { EncryptedFileOptions, MachineIdentity } from './file-store.js';
export { systemKeychain, machineIdentity } from './keychain.js';
export type { Keychain } from './keychain.js';
export type { CredentialMeta } from './meta.js';
