/** Account keys of the command line: keystore v3 files and their passwords. */
export { KeyError, KeyStore, checkKeyName, keystoreAddress, normalizePrivateKey, type KeyInfo, type KeyStoreOptions } from './keystore.js';
export { PASSWORD_ENV, getPassword, promptHidden, readPasswordFile, type PasswordRequest } from './password.js';
