fn main() {
    ackscope::run();
}
