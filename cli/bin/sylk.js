#!/usr/bin/env node
import '../dist/sylk.mjs';
