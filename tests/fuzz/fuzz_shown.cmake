target_link_libraries(fuzz_shown PRIVATE mh_app mh_hash)
