/**
 * Certificates and keys for Gatehouse listeners, on the plain JDK and Bouncy Castle (no Vert.x): PEM loading and
 * validation ({@link dev.gatehouse.tls.PemTlsMaterialLoader}), SNI certificate selection through a JSSE key manager
 * ({@link dev.gatehouse.tls.SniCertificateStore}), hot reload ({@link dev.gatehouse.tls.CertificateWatcher}), trust
 * bundles for client certificates ({@link dev.gatehouse.tls.TrustBundles}), self-signed CA and leaf generation for dev
 * mode and tests ({@link dev.gatehouse.tls.SelfSignedCertificates}), and the protocol and cipher policy
 * ({@link dev.gatehouse.tls.TlsPolicy}). Bouncy Castle is used for parsing and generation only and is always passed
 * as an explicit provider instance, never registered globally; keys and certificates handed to JSSE are JDK objects.
 */
package dev.gatehouse.tls;
