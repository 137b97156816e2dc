package deep

const E = 2.718281828
