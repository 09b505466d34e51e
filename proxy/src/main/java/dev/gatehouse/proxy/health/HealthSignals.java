package dev.gatehouse.proxy.health;

import dev.gatehouse.proxy.balance.Backend;

/**
 * What real traffic says about a backend (passive health). The request path reports every outcome; an
 * implementation decides on ejections.
 */
public interface HealthSignals {

    HealthSignals NONE = new HealthSignals() {
        @Override
        public void success(Backend backend) {
        }

        @Override
        public void failure(Backend backend, String cause) {
        }
    };

    void success(Backend backend);

    void failure(Backend backend, String cause);
}
