package dev.gatehouse.tls;

import java.security.Provider;
import java.security.SecureRandom;

import org.bouncycastle.jce.provider.BouncyCastleProvider;

/** The Bouncy Castle provider instance this module passes explicitly; never added to {@code Security}. */
final class Bc {

    /** One instance: building the provider is slow and it is stateless once built. */
    static final Provider PROVIDER = new BouncyCastleProvider();

    static final SecureRandom RANDOM = new SecureRandom();

    private Bc() {
    }
}
