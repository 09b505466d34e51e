package dev.gatehouse.admin;

/** Carries a {@link Problem} to the router's failure handler. No stack trace: it is an answer, not a bug. */
final class ProblemException extends RuntimeException {

    private final transient Problem problem;

    ProblemException(Problem problem) {
        super(problem.status() + " " + problem.title() + (problem.detail() == null ? "" : ": " + problem.detail()),
                null, false, false);
        this.problem = problem;
    }

    Problem problem() {
        return problem;
    }
}
