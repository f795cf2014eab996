package dev.vertxdomains.web;

/**
 * A request was not answered within the supervisor's {@code requestTimeoutMs}: it has been answered 503, and this
 * error goes to the request's domain, where it follows the error policy like any other request error.
 */
public final class RequestTimeoutException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  RequestTimeoutException(String request, long timeoutMs) {
    super(request + ": not answered within " + timeoutMs + " ms (supervisor.requestTimeoutMs)");
  }
}
