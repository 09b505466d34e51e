package dev.gatehouse.tls;

import java.security.KeyStore;
import java.security.Provider;

import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.KeyManagerFactorySpi;
import javax.net.ssl.ManagerFactoryParameters;

/** A {@link KeyManagerFactory} that hands out one ready key manager; init parameters are ignored. */
final class SniKeyManagerFactory extends KeyManagerFactory {

    static final String ALGORITHM = "GatehouseSni";

    // Only names the factory; it is never registered with Security.
    private static final Provider PROVIDER = new Provider("Gatehouse", "1.0", "Gatehouse SNI key manager") {
        private static final long serialVersionUID = 1L;
    };

    private SniKeyManagerFactory(KeyManager keyManager) {
        super(new Spi(keyManager), PROVIDER, ALGORITHM);
    }

    static KeyManagerFactory create(KeyManager keyManager) {
        return new SniKeyManagerFactory(keyManager);
    }

    private static final class Spi extends KeyManagerFactorySpi {

        private final KeyManager keyManager;

        Spi(KeyManager keyManager) {
            this.keyManager = keyManager;
        }

        @Override
        protected void engineInit(KeyStore keyStore, char[] password) {
            // The store is the source of keys.
        }

        @Override
        protected void engineInit(ManagerFactoryParameters parameters) {
            // The store is the source of keys.
        }

        @Override
        protected KeyManager[] engineGetKeyManagers() {
            return new KeyManager[] {keyManager};
        }
    }
}
