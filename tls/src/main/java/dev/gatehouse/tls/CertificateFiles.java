package dev.gatehouse.tls;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One certificate of a listener as configured: the chain file, the key file and where the key password comes from.
 * This is what {@link CertificateWatcher} watches.
 *
 * @param cert     the PEM certificate chain, leaf first
 * @param key      the PEM private key
 * @param password the key password source; {@code null} means {@link KeyPassword#none()}
 */
public record CertificateFiles(Path cert, Path key, KeyPassword password) {

    /** Rejects missing paths; defaults the password to none. */
    public CertificateFiles {
        requireNonNull(cert, "cert");
        requireNonNull(key, "key");
        password = password == null ? KeyPassword.none() : password;
    }

    /** A plain (unencrypted) key. */
    public static CertificateFiles of(Path cert, Path key) {
        return new CertificateFiles(cert, key, KeyPassword.none());
    }

    /** {@link PemTlsMaterialLoader#load} of these files. Blocking file I/O. */
    public TlsMaterial load() {
        return PemTlsMaterialLoader.load(cert, key, password);
    }

    /**
     * Loads every entry, in order (so the first is the default certificate of a {@link SniCertificateStore}).
     *
     * @throws TlsMaterialException for the first entry that fails
     */
    public static List<TlsMaterial> loadAll(List<CertificateFiles> files) {
        requireNonNull(files, "files");
        List<TlsMaterial> materials = new ArrayList<>(files.size());
        for (CertificateFiles entry : files) {
            materials.add(entry.load());
        }
        return List.copyOf(materials);
    }
}
