# fuzz_validate runs host/validate (and through it host/pdf, qpdf).
target_link_libraries(fuzz_validate PRIVATE mh_validate)
