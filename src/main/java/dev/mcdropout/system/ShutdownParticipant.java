package dev.mcdropout.system;

/** A bean told the moment the service starts to shut down, before requests stop being accepted. */
public interface ShutdownParticipant {

    /** Must not block: start stopping (cancel work, refuse new work) and return. */
    void shutdownStarted();
}
